"""Input and output shapes of the notifications API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from contexts.notifications.models import Category, Channel, InboxItem
from contexts.notifications.selectors import inbox_item_data


class InboxItemOutput(serializers.Serializer[InboxItem]):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.choices)
    body_html = serializers.CharField(help_text="Sanitised HTML fragment, safe to insert.")
    link = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance: InboxItem) -> dict[str, Any]:
        return inbox_item_data(instance)


class UnreadCountOutput(serializers.Serializer[Any]):
    unread_count = serializers.IntegerField()


class MarkedOutput(serializers.Serializer[Any]):
    marked = serializers.IntegerField()
    unread_count = serializers.IntegerField()


class ChannelSettingOutput(serializers.Serializer[Any]):
    enabled = serializers.BooleanField()
    locked = serializers.BooleanField(help_text="Security messages cannot be switched off.")
    default = serializers.BooleanField()


class PreferencesOutput(serializers.Serializer[Any]):
    locale = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    channels = serializers.DictField(
        child=serializers.DictField(child=ChannelSettingOutput()),
        help_text="{category: {channel: {enabled, locked, default}}}",
    )


class PreferencesUpdateInput(serializers.Serializer[Any]):
    channels = serializers.DictField(
        child=serializers.DictField(child=serializers.JSONField()),
        required=False,
        help_text='{category: {channel: true|false}}, e.g. {"marketing": {"email": true}}',
    )
    locale = serializers.CharField(max_length=10, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class MessageSendInput(serializers.Serializer[Any]):
    """The original message shape: recipient, channels, a body per channel."""

    channels = serializers.ListField(
        child=serializers.CharField(max_length=20), min_length=1, max_length=3,
        help_text=f"Any of {Channel.values}.",
    )  # fmt: skip
    recipient_user_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    sms_body = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", trim_whitespace=False
    )
    in_app_body = serializers.CharField(
        max_length=20000, required=False, allow_blank=True, default=""
    )
    email_subject = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    email_body = serializers.CharField(
        max_length=100000, required=False, allow_blank=True, default=""
    )
    email_text = serializers.CharField(
        max_length=100000, required=False, allow_blank=True, default=""
    )
    kind = serializers.CharField(max_length=80, required=False, default="message")
    category = serializers.CharField(max_length=30, required=False, default=Category.ACCOUNT)
    link = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    locale = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    idempotency_key = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class MessageAcceptedOutput(serializers.Serializer[Any]):
    message_id = serializers.UUIDField()
