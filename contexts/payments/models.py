"""Persistence of the payments context.

Money is integer minor units plus an ISO 4217 code. Every attempt to create a payment
link, every webhook delivery (valid or not) and every refund is a row. The sandbox
gateway keeps its own tables (``Sandbox*``): it plays the third party, so the payment
models never read them.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"


class Gateway(models.TextChoices):
    SANDBOX = "sandbox", "Sandbox (built in)"
    STRIPE = "stripe", "Stripe"


class Payment(models.Model):
    """One payment for one thing (``purpose`` + ``reference_id``) through one gateway.

    The primary key is derived from the caller's idempotency key (UUIDv5), so
    concurrent or retried calls with the same key agree on the id before anything is
    written, and the gateway sees the same request each time.
    """

    id = models.UUIDField(primary_key=True, editable=False)
    purpose = models.CharField(max_length=32)
    reference_id = models.UUIDField()
    amount_minor = models.BigIntegerField()
    refunded_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=500)
    payer_email = models.EmailField()
    payer_user_id = models.UUIDField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    gateway = models.CharField(max_length=16, choices=Gateway.choices)
    gateway_session_id = models.CharField(max_length=255)
    gateway_payment_id = models.CharField(max_length=255, blank=True, default="")
    checkout_url = models.URLField(max_length=2000)
    success_url = models.URLField(max_length=2000, blank=True, default="")
    cancel_url = models.URLField(max_length=2000, blank=True, default="")
    idempotency_key = models.CharField(max_length=255, unique=True)
    request_fingerprint = models.CharField(max_length=64)
    failure_reason = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at",)
        indexes = [
            models.Index(fields=["purpose", "reference_id"], name="payments_purpose_ref_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="payments_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0) & Q(refunded_minor__lte=F("amount_minor")),
                name="payments_refunded_within_amount",
            ),
            models.UniqueConstraint(
                fields=["gateway", "gateway_session_id"], name="payments_unique_gateway_session"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose}:{self.reference_id} {self.amount_minor} {self.currency} ({self.status})"

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


class AttemptStatus(models.TextChoices):
    STARTED = "started", "Started"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class PaymentAttempt(models.Model):
    """One call to the gateway to create a payment link, whatever its outcome.

    ``payment`` is set only when the call succeeded (a failed call leaves no payment);
    ``payment_ref`` is the id the payment has or would have had.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="attempts"
    )
    payment_ref = models.UUIDField(db_index=True)
    idempotency_key = models.CharField(max_length=255, db_index=True)
    gateway = models.CharField(max_length=16, choices=Gateway.choices)
    status = models.CharField(
        max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.STARTED
    )
    request = models.JSONField(default=dict)
    gateway_session_id = models.CharField(max_length=255, blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at",)

    def __str__(self) -> str:
        return f"attempt {self.payment_ref} via {self.gateway}: {self.status}"


class WebhookOutcome(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    REJECTED = "rejected", "Rejected"


class WebhookEvent(models.Model):
    """One webhook from a gateway.

    A verified event is stored once per (gateway, provider event id); redeliveries bump
    ``deliveries``. Deliveries that fail verification are stored too (for audit) with
    ``signature_valid=False``; they never take the event id, so a forged request cannot
    block the genuine event.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    gateway = models.CharField(max_length=16, choices=Gateway.choices)
    provider_event_id = models.CharField(max_length=255, blank=True, default="")
    event_type = models.CharField(max_length=100, blank=True, default="")
    raw_body = models.TextField()
    signature_header = models.CharField(max_length=1000, blank=True, default="")
    signature_valid = models.BooleanField()
    outcome = models.CharField(
        max_length=10, choices=WebhookOutcome.choices, default=WebhookOutcome.RECEIVED
    )
    error = models.TextField(blank=True, default="")
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="webhooks"
    )
    deliveries = models.PositiveIntegerField(default=1)
    signature_timestamps = models.JSONField(default=list)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-received_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "provider_event_id"],
                condition=Q(signature_valid=True) & ~Q(provider_event_id=""),
                name="payments_webhook_event_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_type or '?'} {self.provider_event_id or '-'} ({self.outcome})"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Refund(models.Model):
    """Money given back for a payment. A pending refund holds its amount: the sum of
    pending and succeeded refunds never exceeds the payment."""

    id = models.UUIDField(primary_key=True, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=500)
    status = models.CharField(
        max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    gateway_refund_id = models.CharField(max_length=255, blank=True, default="")
    idempotency_key = models.CharField(max_length=255, unique=True)
    request_fingerprint = models.CharField(max_length=64)
    failure_reason = models.CharField(max_length=255, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at",)
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="payments_refund_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount_minor} {self.currency} of {self.payment_id} ({self.status})"


# --- the sandbox gateway's own records (it plays the third party) -------------------


class SandboxAccount(models.Model):
    """The sandbox gateway's merchant settings: the webhook signing secret.

    One row, created on first use (and by ``seed_demo``); like a real gateway's
    dashboard, staff may rotate the secret in the admin. ``PAYMENTS_SANDBOX_WEBHOOK_SECRET``
    overrides it when set.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    webhook_secret = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "sandbox gateway account"


class SandboxCheckoutStatus(models.TextChoices):
    OPEN = "open", "Open"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class SandboxCheckout(models.Model):
    """A hosted checkout session at the sandbox gateway."""

    id = models.CharField(primary_key=True, max_length=64, editable=False)
    idempotency_key = models.CharField(max_length=255, unique=True)
    client_reference_id = models.CharField(max_length=255)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=500)
    payer_email = models.EmailField()
    success_url = models.URLField(max_length=2000, blank=True, default="")
    cancel_url = models.URLField(max_length=2000, blank=True, default="")
    status = models.CharField(
        max_length=10, choices=SandboxCheckoutStatus.choices, default=SandboxCheckoutStatus.OPEN
    )
    payment_reference = models.CharField(max_length=64, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    event_id = models.CharField(max_length=64, blank=True, default="")
    webhook_attempts = models.PositiveIntegerField(default=0)
    webhook_delivered_at = models.DateTimeField(null=True, blank=True)
    webhook_last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"


class SandboxRefund(models.Model):
    """A refund at the sandbox gateway (it always succeeds, at once)."""

    id = models.CharField(primary_key=True, max_length=64, editable=False)
    idempotency_key = models.CharField(max_length=255, unique=True)
    payment_reference = models.CharField(max_length=64)
    amount_minor = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.id} {self.amount_minor}"
