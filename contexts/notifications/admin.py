"""Staff admin: messages, deliveries (permanent failures first-class), attempts, inboxes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from contexts.notifications import services
from contexts.notifications.models import (
    ChannelPreference,
    Delivery,
    DeliveryAttempt,
    InboxItem,
    Notification,
    RecipientSettings,
)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryInline(_ReadOnlyInline):
    model = Delivery
    fields = ("channel", "recipient", "status", "status_reason", "attempts", "sent_at")
    readonly_fields = fields


class AttemptInline(_ReadOnlyInline):
    model = DeliveryAttempt
    fields = (
        "number",
        "provider",
        "outcome",
        "response",
        "error",
        "retry_in_seconds",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    show_change_link = False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "category", "recipient_key", "status", "source")
    list_filter = ("status", "category", "kind", "source")
    search_fields = ("recipient_key", "email", "phone", "=source_event_id", "=id")
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "updated_at",
        "channel",
        "recipient",
        "kind",
        "status",
        "status_reason",
        "attempts",
        "short_error",
    )
    list_filter = ("status", "channel", "status_reason", "kind")
    search_fields = ("recipient", "=notification__id", "=source_event_id", "provider_message_id")
    inlines = [AttemptInline]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["retry_failed"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deliveries are a log; the retry action is the one write

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("notifications.change_delivery"))

    @admin.display(description="last error")
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:80]

    @admin.action(description="Retry selected failed deliveries", permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        retried = sum(
            1
            for pk in queryset.values_list("pk", flat=True)
            if services.delivery_retry(delivery_id=pk)
        )
        skipped = queryset.count() - retried
        self.message_user(request, f"{retried} delivery(ies) queued again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} not retried: not failed, or failed for a reason a resend cannot fix "
                "(template error, empty body, SMS too long, invalid number).",
                messages.WARNING,
            )


@admin.register(InboxItem)
class InboxItemAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user_id", "kind", "category", "read_at")
    list_filter = ("category", "kind")
    search_fields = ("=user_id",)
    readonly_fields = [f.name for f in InboxItem._meta.fields]


@admin.register(ChannelPreference)
class ChannelPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user_id", "category", "channel", "enabled", "updated_at")
    list_filter = ("category", "channel", "enabled")
    search_fields = ("=user_id",)


@admin.register(RecipientSettings)
class RecipientSettingsAdmin(admin.ModelAdmin):
    list_display = ("user_id", "locale", "phone", "updated_at")
    search_fields = ("=user_id", "phone")
