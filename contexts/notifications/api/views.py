"""The notifications API: one thin view per operation, under /api/v1/notifications/."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.pagination import CursorPagination
from bazaar_platform.api.views import BazaarAPIView, BazaarListAPIView
from bazaar_platform.tokens.permissions import IsAdmin, principal_user_id
from contexts.notifications import facade, selectors, services
from contexts.notifications.api import serializers as s
from contexts.notifications.models import InboxItem


def _me(request: Request) -> UUID:
    user_id = principal_user_id(request.user)
    if user_id is None:
        raise exceptions.NotAuthenticated()
    return user_id


def _validated(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise exceptions.ValidationError({"non_field_errors": ["Send a JSON object."]})
    unknown = sorted(set(request.data) - set(serializer_class().fields))
    if unknown:
        raise exceptions.ValidationError({name: ["Unknown field."] for name in unknown})
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


class InboxPagination(CursorPagination):
    ordering = ("-created_at", "-id")  # type: ignore[assignment]  # DRF accepts a tuple


class InboxListApi(BazaarListAPIView):
    """The caller's in-app notifications, newest first (cursor pagination)."""

    permission_classes = [IsAuthenticated]
    pagination_class = InboxPagination
    serializer_class = s.InboxItemOutput
    extra_query_params: ClassVar[frozenset[str]] = frozenset({"unread"})

    def get_queryset(self) -> QuerySet[InboxItem]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return InboxItem.objects.none()
        raw = self.request.query_params.get("unread", "").lower()
        if raw and raw not in _TRUE | _FALSE:
            raise exceptions.ValidationError({"unread": ["Must be true or false."]})
        return selectors.inbox_list(user_id=_me(self.request), unread_only=raw in _TRUE)

    @extend_schema(
        summary="My notifications",
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="Unread only.")],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class UnreadCountApi(BazaarAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.UnreadCountOutput}, summary="How many are unread")
    def get(self, request: Request) -> Response:
        return Response({"unread_count": selectors.unread_count(user_id=_me(request))})


class InboxItemMarkReadApi(BazaarAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: s.InboxItemOutput}, summary="Mark one read")
    def post(self, request: Request, item_id: UUID) -> Response:
        item = services.inbox_item_mark_read(user_id=_me(request), item_id=item_id)
        return Response(s.InboxItemOutput(item).data)


class InboxMarkAllReadApi(BazaarAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: s.MarkedOutput}, summary="Mark all read")
    def post(self, request: Request) -> Response:
        user_id = _me(request)
        marked = services.inbox_mark_all_read(user_id=user_id)
        return Response({"marked": marked, "unread_count": selectors.unread_count(user_id=user_id)})


def _preferences(user_id: UUID) -> dict[str, Any]:
    own = selectors.recipient_settings_get(user_id=user_id)
    return {
        "locale": own.locale if own else "",
        "phone": own.phone if own else "",
        "channels": {
            category: {
                channel: {"enabled": c.enabled, "locked": c.locked, "default": c.default}
                for channel, c in row.items()
            }
            for category, row in selectors.preferences_effective(user_id=user_id).items()
        },
    }


class PreferencesApi(BazaarAPIView):
    """The caller's notification preferences: read (GET) and change (PATCH)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.PreferencesOutput}, summary="My preferences")
    def get(self, request: Request) -> Response:
        return Response(_preferences(_me(request)))

    @extend_schema(
        request=s.PreferencesUpdateInput,
        responses={200: s.PreferencesOutput},
        summary="Change my preferences",
    )
    def patch(self, request: Request) -> Response:
        data = _validated(s.PreferencesUpdateInput, request)
        user_id = _me(request)
        services.preferences_update(
            user_id=user_id,
            channels=data.get("channels"),
            locale=data.get("locale"),
            phone=data.get("phone"),
        )
        return Response(_preferences(user_id))


class MessageSendApi(BazaarAPIView):
    """Staff: send a message (the ``notifications.send_requested`` command)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        request=s.MessageSendInput,
        responses={202: s.MessageAcceptedOutput},
        summary="Send a message (admin)",
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.MessageSendInput, request)
        message_id = facade.notification_send(**data, requested_by=f"staff:{_me(request)}")
        return Response({"message_id": str(message_id)}, status=status.HTTP_202_ACCEPTED)
