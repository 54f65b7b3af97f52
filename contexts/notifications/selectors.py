"""Reads: inboxes, unread counts, effective preferences, recipient settings, deliveries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from contexts.notifications.models import (
    Category,
    Channel,
    ChannelPreference,
    Delivery,
    InboxItem,
    RecipientSettings,
)

# What a user gets until they choose. Marketing is opt-in; SMS (costly, and it needs
# a number the user gave us) only for what is worth a text: orders and security.
DEFAULT_PREFERENCES: Mapping[str, Mapping[str, bool]] = {
    Category.ORDERS: {Channel.EMAIL: True, Channel.IN_APP: True, Channel.SMS: True},
    Category.ACCOUNT: {Channel.EMAIL: True, Channel.IN_APP: True, Channel.SMS: False},
    Category.MARKETING: {Channel.EMAIL: False, Channel.IN_APP: False, Channel.SMS: False},
    Category.VENDOR_OPERATIONS: {Channel.EMAIL: True, Channel.IN_APP: True, Channel.SMS: False},
    Category.SECURITY: {Channel.EMAIL: True, Channel.IN_APP: True, Channel.SMS: True},
}
# Categories a user cannot switch off (every channel stays on).
LOCKED_CATEGORIES = frozenset({Category.SECURITY})


@dataclass(frozen=True)
class ChannelSetting:
    enabled: bool
    locked: bool
    default: bool


def inbox_list(*, user_id: UUID, unread_only: bool = False) -> QuerySet[InboxItem]:
    items = InboxItem.objects.filter(user_id=user_id)
    if unread_only:
        items = items.filter(read_at__isnull=True)
    return items.order_by("-created_at", "-id")


def unread_count(*, user_id: UUID) -> int:
    return InboxItem.objects.filter(user_id=user_id, read_at__isnull=True).count()


def inbox_item_get(*, user_id: UUID, item_id: UUID) -> InboxItem | None:
    return InboxItem.objects.filter(user_id=user_id, pk=item_id).first()


def preferences_effective(*, user_id: UUID) -> dict[str, dict[str, ChannelSetting]]:
    """Every (category, channel) with what applies to ``user_id`` now."""
    chosen = {
        (p.category, p.channel): p.enabled
        for p in ChannelPreference.objects.filter(user_id=user_id)
    }
    result: dict[str, dict[str, ChannelSetting]] = {}
    for category in Category:
        locked = category in LOCKED_CATEGORIES
        row: dict[str, ChannelSetting] = {}
        for channel in Channel:
            default = DEFAULT_PREFERENCES[category][channel]
            enabled = default if locked else chosen.get((category, channel), default)
            row[channel.value] = ChannelSetting(enabled=enabled, locked=locked, default=default)
        result[category.value] = row
    return result


def channel_enabled(*, user_id: UUID, category: str, channel: str) -> bool:
    if category in LOCKED_CATEGORIES:
        return True
    choice = (
        ChannelPreference.objects.filter(user_id=user_id, category=category, channel=channel)
        .values_list("enabled", flat=True)
        .first()
    )
    if choice is not None:
        return bool(choice)
    return DEFAULT_PREFERENCES[Category(category)][Channel(channel)]


def recipient_settings_get(*, user_id: UUID) -> RecipientSettings | None:
    return RecipientSettings.objects.filter(user_id=user_id).first()


def deliveries_failed() -> QuerySet[Delivery]:
    """Permanent failures, newest first (what staff look at)."""
    return (
        Delivery.objects.filter(status=Delivery.Status.FAILED)
        .select_related("notification")
        .order_by("-updated_at")
    )


def inbox_item_data(item: InboxItem) -> dict[str, Any]:
    """An inbox item as the API lists it and the websocket pushes it (JSON-ready)."""
    return {
        "id": str(item.pk),
        "kind": item.kind,
        "category": item.category,
        "body_html": item.body_html,
        "link": item.link,
        "created_at": item.created_at.isoformat().replace("+00:00", "Z"),
        "read_at": item.read_at.isoformat().replace("+00:00", "Z") if item.read_at else None,
    }
