"""Views built only from the platform API kit, to test the kit itself."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.urls import include, path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.api.pagination import CursorPagination
from bazaar_platform.api.views import BazaarAPIView, BazaarListAPIView
from bazaar_platform.events.models import OutboxMessage


class OutboxOutput(serializers.ModelSerializer[OutboxMessage]):
    class Meta:
        model = OutboxMessage
        fields: ClassVar[list[str]] = ["event_id", "event_type", "aggregate_id"]


class OutboxFilter(django_filters.FilterSet):
    event_type = django_filters.CharFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = OutboxMessage
        fields: ClassVar[list[str]] = []


class ItemListApi(BazaarListAPIView):
    queryset = OutboxMessage.objects.order_by("id")
    serializer_class = OutboxOutput
    filterset_class = OutboxFilter


class ItemCursorListApi(BazaarListAPIView):
    queryset = OutboxMessage.objects.all()
    serializer_class = OutboxOutput
    pagination_class = CursorPagination


class EchoInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=20)
    quantity = serializers.IntegerField(min_value=1)


class EchoApi(BazaarAPIView):
    def post(self, request: Request) -> Response:
        data = EchoInput(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["name"] == "refuse":
            raise ApplicationError("No refusals today.", code="refused", status_code=409)
        return Response(data.validated_data, status=201)


urlpatterns = [
    path(
        "api/v1/kit/",
        include(
            [
                path("items/", ItemListApi.as_view()),
                path("items/cursor/", ItemCursorListApi.as_view()),
                path("echo/", EchoApi.as_view()),
            ]
        ),
    ),
    path("", include("config.urls")),
]

handler400 = "bazaar_platform.api.responses.bad_request"
handler403 = "bazaar_platform.api.responses.permission_denied"
handler404 = "bazaar_platform.api.responses.not_found"
handler500 = "bazaar_platform.api.responses.server_error"
