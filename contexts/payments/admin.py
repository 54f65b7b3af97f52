"""Staff admin for payments: read-mostly. Money moves through services, never a form."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from contexts.payments.models import (
    Payment,
    PaymentAttempt,
    Refund,
    SandboxAccount,
    SandboxCheckout,
    SandboxRefund,
    WebhookEvent,
)
from contexts.payments.services import sandbox
from contexts.payments.services.money import money_format


class ReadOnlyAdmin(admin.ModelAdmin):
    """Every field shown read-only (listing the fields also spares Django building a form)."""

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        exclude = set(self.exclude or ())
        return [f.name for f in self.model._meta.concrete_fields if f.name not in exclude]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PaymentAttemptInline(admin.TabularInline):
    model = PaymentAttempt
    extra = 0
    can_delete = False
    fields = ("created_at", "gateway", "status", "error_code", "error_message")
    readonly_fields = fields


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ("created_at", "amount_minor", "currency", "status", "reason", "gateway_refund_id")
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "purpose",
        "reference_id",
        "amount",
        "status",
        "gateway",
        "payer_email",
        "created_at",
    )
    list_filter = ("status", "gateway", "purpose", "currency")
    search_fields = (
        "id",
        "reference_id",
        "payer_email",
        "gateway_session_id",
        "gateway_payment_id",
    )
    date_hierarchy = "created_at"
    inlines = [PaymentAttemptInline, RefundInline]

    @admin.display(description="amount")
    def amount(self, obj: Payment) -> str:
        return money_format(obj.amount_minor, obj.currency)


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "payment_ref", "gateway", "status", "error_code")
    list_filter = ("status", "gateway", "error_code")
    search_fields = ("payment_ref", "idempotency_key", "gateway_session_id")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "gateway",
        "event_type",
        "provider_event_id",
        "signature_valid",
        "outcome",
        "deliveries",
        "error",
    )
    list_filter = ("gateway", "outcome", "signature_valid", "event_type")
    search_fields = ("provider_event_id", "payment__id", "error")


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "payment", "amount_minor", "currency", "status", "reason")
    list_filter = ("status", "currency")
    search_fields = ("id", "payment__id", "gateway_refund_id", "idempotency_key")


@admin.register(SandboxCheckout)
class SandboxCheckoutAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "amount_minor",
        "currency",
        "status",
        "webhook_attempts",
        "webhook_delivered_at",
        "webhook_last_error",
    )
    list_filter = ("status",)
    actions = ["redeliver_webhook"]

    @admin.action(description="Redeliver the webhook of the selected decided checkouts")
    def redeliver_webhook(self, request: HttpRequest, queryset: QuerySet[SandboxCheckout]) -> None:
        decided = queryset.exclude(status="open")
        ids = list(decided.values_list("id", flat=True))
        decided.update(webhook_delivered_at=None)
        for checkout_id in ids:
            sandbox.sandbox_webhook_schedule(checkout_id=checkout_id)
        self.message_user(request, f"{len(ids)} webhook(s) scheduled.", messages.SUCCESS)


@admin.register(SandboxAccount)
class SandboxAccountAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")
    exclude = ("webhook_secret",)
    actions = ["rotate_secret"]

    @admin.action(description="Rotate the sandbox webhook signing secret")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[SandboxAccount]) -> None:
        sandbox.sandbox_secret_rotate()
        self.message_user(request, "The sandbox signing secret was rotated.", messages.SUCCESS)


@admin.register(SandboxRefund)
class SandboxRefundAdmin(ReadOnlyAdmin):
    list_display = ("id", "payment_reference", "amount_minor", "created_at")
    search_fields = ("id", "payment_reference")
