"""Input and output shapes of the payments API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from contexts.payments.models import Payment, PaymentStatus, Refund


class RefundOutput(serializers.ModelSerializer[Refund]):
    refund_id = serializers.UUIDField(source="id")
    payment_id = serializers.UUIDField()

    class Meta:
        model = Refund
        fields = [
            "refund_id",
            "payment_id",
            "amount_minor",
            "currency",
            "status",
            "reason",
            "created_at",
            "succeeded_at",
        ]


class PaymentOutput(serializers.ModelSerializer[Payment]):
    payment_id = serializers.UUIDField(source="id")
    checkout_url = serializers.SerializerMethodField()
    refunds = RefundOutput(many=True)

    class Meta:
        model = Payment
        fields = [
            "payment_id",
            "purpose",
            "reference_id",
            "status",
            "amount_minor",
            "refunded_minor",
            "currency",
            "description",
            "gateway",
            "payer_email",
            "checkout_url",
            "failure_reason",
            "created_at",
            "succeeded_at",
            "refunds",
        ]

    def get_checkout_url(self, payment: Payment) -> str | None:
        """Where to pay, while the payment is still pending."""
        return payment.checkout_url if payment.status == PaymentStatus.PENDING else None


class RefundCreateInput(serializers.Serializer[Any]):
    amount_minor = serializers.IntegerField()
    reason = serializers.CharField(max_length=500)
    idempotency_key = serializers.CharField(max_length=255)


class WebhookAckOutput(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=["processed", "duplicate", "ignored"])
    webhook_event_id = serializers.UUIDField()
    detail = serializers.CharField(allow_blank=True)
