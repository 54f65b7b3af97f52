"""The project's URLs plus the trivial DRF view of the orders benchmark."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urls

ITEMS = [{"id": n, "name": f"item {n}", "price_minor": 100 * n} for n in range(20)]


class TrivialApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response(ITEMS)


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/trivial", TrivialApi.as_view()),
    *project_urls,
]
