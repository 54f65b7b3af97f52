"""The payment and refund state machines, and the events they publish.

Payment: ``pending -> succeeded | failed``, ``failed -> succeeded`` (a gateway's late
confirmation is authoritative: money was taken), ``succeeded -> partially_refunded ->
refunded`` through refunds only. Nothing ever goes back: a ``failed`` notification for
a succeeded payment, or any replay, changes nothing and publishes nothing.

Refund: ``pending -> succeeded | failed``; a failed refund may be retried
(``failed -> pending``) by the refund service with the same idempotency key.

Every function here expects the rows locked (``select_for_update``) inside the
caller's ``transaction.atomic()``; the events go to the outbox in that transaction.
"""

from __future__ import annotations

from django.utils import timezone

from bazaar_platform.events import publish
from contexts.payments.events import PaymentFailed, PaymentSucceeded, RefundSucceeded
from contexts.payments.models import Payment, PaymentStatus, Refund, RefundStatus

_SUCCEEDABLE = {PaymentStatus.PENDING, PaymentStatus.FAILED}


def payment_mark_succeeded(*, payment: Payment, gateway_payment_id: str) -> bool:
    """Record the gateway's confirmation; False (and no event) if it changes nothing."""
    if payment.status not in _SUCCEEDABLE:
        return False
    payment.status = PaymentStatus.SUCCEEDED
    payment.gateway_payment_id = gateway_payment_id or payment.gateway_payment_id
    payment.succeeded_at = timezone.now()
    payment.failure_reason = ""
    payment.save(
        update_fields=[
            "status",
            "gateway_payment_id",
            "succeeded_at",
            "failure_reason",
            "updated_at",
        ]
    )
    publish(
        PaymentSucceeded(
            payment_id=payment.pk,
            purpose=payment.purpose,
            reference_id=payment.reference_id,
            amount_minor=payment.amount_minor,
            currency=payment.currency,
            gateway=payment.gateway,
            gateway_payment_id=payment.gateway_payment_id,
            payer_email=payment.payer_email,
            payer_user_id=payment.payer_user_id,
        )
    )
    return True


def payment_mark_failed(*, payment: Payment, reason: str) -> bool:
    """Record a decline or expiry of a pending payment; anything later is left alone."""
    if payment.status != PaymentStatus.PENDING:
        return False
    payment.status = PaymentStatus.FAILED
    payment.failure_reason = (reason or "failed")[:255]
    payment.failed_at = timezone.now()
    payment.save(update_fields=["status", "failure_reason", "failed_at", "updated_at"])
    publish(
        PaymentFailed(
            payment_id=payment.pk,
            purpose=payment.purpose,
            reference_id=payment.reference_id,
            reason=payment.failure_reason,
            amount_minor=payment.amount_minor,
            currency=payment.currency,
            gateway=payment.gateway,
            payer_email=payment.payer_email,
            payer_user_id=payment.payer_user_id,
        )
    )
    return True


def refund_mark_succeeded(*, refund: Refund, payment: Payment, gateway_refund_id: str) -> bool:
    """Money went back: add it to the payment's refunded total. Only from ``pending``."""
    if refund.status != RefundStatus.PENDING:
        return False
    refund.status = RefundStatus.SUCCEEDED
    refund.gateway_refund_id = gateway_refund_id or refund.gateway_refund_id
    refund.succeeded_at = timezone.now()
    refund.failure_reason = ""
    refund.save(
        update_fields=[
            "status",
            "gateway_refund_id",
            "succeeded_at",
            "failure_reason",
            "updated_at",
        ]
    )
    payment.refunded_minor += refund.amount_minor
    payment.status = (
        PaymentStatus.REFUNDED
        if payment.refunded_minor >= payment.amount_minor
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    payment.save(update_fields=["refunded_minor", "status", "updated_at"])
    publish(
        RefundSucceeded(
            refund_id=refund.pk,
            payment_id=payment.pk,
            purpose=payment.purpose,
            reference_id=payment.reference_id,
            amount_minor=refund.amount_minor,
            currency=refund.currency,
            refunded_total_minor=payment.refunded_minor,
            payment_status=payment.status,
        )
    )
    return True


def refund_mark_failed(*, refund: Refund, reason: str) -> bool:
    """The gateway could not give the money back: the amount is released."""
    if refund.status != RefundStatus.PENDING:
        return False
    refund.status = RefundStatus.FAILED
    refund.failure_reason = (reason or "failed")[:255]
    refund.save(update_fields=["status", "failure_reason", "updated_at"])
    return True
