"""Staff views of the event platform: dead letters (with replay), outbox and inbox (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from bazaar_platform.events.models import DeadLetter, InboxRecord, OutboxMessage
from bazaar_platform.events.replay import replay_dead_letter


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _PendingFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("pending", "Pending"), ("sent", "Sent")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "pending":
            return queryset.filter(dispatched_at__isnull=True)
        if self.value() == "sent":
            return queryset.filter(dispatched_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(_ReadOnlyAdmin):
    list_display = [
        "id",
        "event_type",
        "version",
        "aggregate_id",
        "occurred_at",
        "dispatched_at",
        "attempts",
    ]
    list_filter = [_PendingFilter, "event_type", "producer"]
    search_fields = ["event_id", "aggregate_id", "event_type"]
    date_hierarchy = "occurred_at"
    ordering = ["-id"]


@admin.register(InboxRecord)
class InboxRecordAdmin(_ReadOnlyAdmin):
    list_display = ["event_id", "handler", "processed_at"]
    list_filter = ["handler"]
    search_fields = ["event_id", "handler"]


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "reason",
        "event_type",
        "target",
        "transport",
        "attempts",
        "status",
        "short_error",
    ]
    list_filter = ["status", "reason", "transport", "handler", "context", "event_type"]
    search_fields = ["event_id", "event_type", "handler", "error", "raw"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "event_id",
        "event_type",
        "handler",
        "context",
        "transport",
        "reason",
        "attempts",
        "status",
        "created_at",
        "replayed_at",
        "error_block",
        "raw_block",
    ]
    exclude = ["error", "raw"]
    actions = ["replay", "discard"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="handler / context")
    def target(self, obj: DeadLetter) -> str:
        return obj.handler or (f"{obj.context}.*" if obj.context else "-")

    @admin.display(description="error")
    def short_error(self, obj: DeadLetter) -> str:
        return obj.error if len(obj.error) <= 120 else f"{obj.error[:117]}..."

    @admin.display(description="error")
    def error_block(self, obj: DeadLetter) -> str:
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", obj.error)

    @admin.display(description="message as received")
    def raw_block(self, obj: DeadLetter) -> str:
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", obj.raw)

    @admin.action(description="Replay: re-apply to its handler", permissions=["change"])
    def replay(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        ok = failed = 0
        for letter in queryset.exclude(status=DeadLetter.Status.REPLAYED).order_by("created_at"):
            result = replay_dead_letter(letter)
            if result.ok:
                ok += 1
            else:
                failed += 1
                self.message_user(
                    request, f"{letter}: still failing: {result.detail[:300]}", messages.WARNING
                )
        self.message_user(
            request, f"Replayed {ok} dead letter(s); {failed} still failing.", messages.SUCCESS
        )

    @admin.action(
        description="Discard (keep for the record, stop showing as pending)", permissions=["change"]
    )
    def discard(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        count = queryset.filter(status=DeadLetter.Status.PENDING).update(
            status=DeadLetter.Status.DISCARDED
        )
        self.message_user(request, f"Discarded {count} dead letter(s).", messages.SUCCESS)
