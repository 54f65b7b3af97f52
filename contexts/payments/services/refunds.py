"""Refunds: never more than what was paid minus what is refunded or being refunded.

1. a refund with this idempotency key exists -> other arguments: 409; pending or
   succeeded: return it; failed: retry it (below) with the same gateway key;
2. lock the payment, check it is refundable and the amount fits, create (or reset)
   the refund as ``pending`` — a pending refund holds its amount — and commit;
3. call the gateway outside any transaction (its idempotency key is derived from the
   refund id, so a retry never refunds twice);
4. lock again and apply the answer: succeeded -> add to the payment, publish
   ``payments.refund_succeeded``; failed or unreachable -> release the amount;
   pending -> wait for the gateway's webhook.
"""

from __future__ import annotations

import logging
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Sum

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from contexts.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from contexts.payments.services import transitions
from contexts.payments.services.errors import PaymentGatewayRejected, PaymentGatewayUnavailable
from contexts.payments.services.gateways import gateway_get
from contexts.payments.services.gateways.base import (
    GatewayRejectedError,
    GatewayUnavailableError,
    RefundRequest,
    RefundResult,
)
from contexts.payments.services.idempotency import fingerprint, key_validate, refund_id_for
from contexts.payments.services.money import amount_validate

logger = logging.getLogger(__name__)

_REFUNDABLE = {PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED}


def refundable_minor(*, payment: Payment) -> int:
    """What may still be refunded: paid minus succeeded minus pending refunds."""
    pending = (
        Refund.objects.filter(payment=payment, status=RefundStatus.PENDING).aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0
    )
    return payment.amount_minor - payment.refunded_minor - pending


def refund_create(
    *, payment_id: UUID, amount_minor: int, reason: str, idempotency_key: str
) -> Refund:
    key = key_validate(idempotency_key)
    amount = amount_validate(amount_minor)
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise ApplicationError(
            "A reason of 1 to 500 characters is required.",
            code="validation_error",
            fields={"reason": ["1 to 500 characters."]},
        )
    digest = fingerprint({"payment_id": str(payment_id), "amount_minor": amount, "reason": reason})

    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.request_fingerprint != digest:
            raise ConflictError(
                "This idempotency key was already used with different arguments.",
                code="idempotency_key_reused",
            )
        if existing.status != RefundStatus.FAILED:
            return existing

    refund = _reserve(payment_id=payment_id, amount=amount, reason=reason, key=key, digest=digest)
    payment = refund.payment
    gateway = gateway_get(payment.gateway)
    try:
        result = gateway.refund(
            RefundRequest(
                session_id=payment.gateway_session_id,
                gateway_payment_id=payment.gateway_payment_id,
                amount_minor=refund.amount_minor,
                currency=refund.currency,
                reason=reason,
                refund_id=refund.pk,
                idempotency_key=f"bazaar-refund-{refund.pk}",  # same on every retry
            )
        )
    except GatewayUnavailableError as exc:
        _apply(
            refund.pk,
            RefundResult(
                gateway_refund_id="", status="failed", failure_reason="gateway_unavailable"
            ),
        )
        raise PaymentGatewayUnavailable(
            "The payment gateway cannot be reached right now; retry with the same idempotency key."
        ) from exc
    except GatewayRejectedError as exc:
        _apply(
            refund.pk,
            RefundResult(gateway_refund_id="", status="failed", failure_reason=exc.message),
        )
        raise PaymentGatewayRejected(exc.message) from exc
    return _apply(refund.pk, result)


def _reserve(*, payment_id: UUID, amount: int, reason: str, key: str, digest: str) -> Refund:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None:
            raise NotFoundError("There is no such payment.")
        if payment.status not in _REFUNDABLE:
            raise ConflictError(
                f"A {payment.status} payment cannot be refunded.", code="payment_not_refundable"
            )
        available = refundable_minor(payment=payment)
        if amount > available:
            raise ApplicationError(
                f"At most {available} {payment.currency} minor units can still be refunded.",
                code="refund_exceeds_refundable",
                status_code=422,
                fields={"amount_minor": [f"Must be at most {available}."]},
            )
        refund = Refund.objects.select_for_update().filter(idempotency_key=key).first()
        if refund is None:
            try:
                with transaction.atomic():
                    refund = Refund.objects.create(
                        id=refund_id_for(key),
                        payment=payment,
                        amount_minor=amount,
                        currency=payment.currency,
                        reason=reason,
                        idempotency_key=key,
                        request_fingerprint=digest,
                        attempts=1,
                    )
            except IntegrityError as exc:  # a concurrent call with this key
                raise ConflictError(
                    "A refund with this idempotency key is being created; retry shortly.",
                    code="refund_in_progress",
                ) from exc
        elif refund.status == RefundStatus.FAILED:
            refund.status = RefundStatus.PENDING
            refund.failure_reason = ""
            refund.attempts += 1
            refund.save(update_fields=["status", "failure_reason", "attempts", "updated_at"])
        else:
            raise ConflictError(
                "A refund with this idempotency key is being created; retry shortly.",
                code="refund_in_progress",
            )
    return refund


def _apply(refund_id: UUID, result: RefundResult) -> Refund:
    payment_id = Refund.objects.values_list("payment_id", flat=True).get(pk=refund_id)
    with transaction.atomic():
        # lock order everywhere: the payment, then its refund
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        refund.payment = payment
        if result.gateway_refund_id and not refund.gateway_refund_id:
            refund.gateway_refund_id = result.gateway_refund_id
            refund.save(update_fields=["gateway_refund_id", "updated_at"])
        if result.status == "succeeded":
            transitions.refund_mark_succeeded(
                refund=refund, payment=payment, gateway_refund_id=result.gateway_refund_id
            )
        elif result.status == "failed":
            transitions.refund_mark_failed(refund=refund, reason=result.failure_reason)
    return refund
