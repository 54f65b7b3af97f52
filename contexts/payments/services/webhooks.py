"""Receiving gateway webhooks: verify, deduplicate, record, transition, publish.

Everything a delivery changes happens in one transaction: the ``WebhookEvent`` row,
the payment or refund transition and the outbox rows of the events it publishes.
The heavy reactions (activating a subscription, confirming an order, e-mails) belong
to the consumers of those events, so the gateway gets its answer in milliseconds.

Answers (a gateway retries anything that is not 2xx, for days):

* 200 ``processed``  - verified and applied (or a valid no-op: an out-of-order
  ``failed`` after ``succeeded``).
* 200 ``duplicate``  - the gateway redelivered an event we already have (it signs
  every delivery afresh, so the signature timestamp is new): a no-op.
* 200 ``ignored``    - verified, but about nothing of ours (an event type we do not
  handle, or an unknown payment: an account shared with another integration, or
  a payment from another environment). Recorded with the reason; a 4xx would make
  the gateway retry it for days and then disable the endpoint.
* 400 ``webhook_signature_missing`` / ``webhook_signature_invalid`` /
  ``webhook_timestamp_stale`` / ``webhook_payload_malformed`` - not processed; the
  delivery is recorded with ``signature_valid`` as checked.
* 409 ``webhook_replayed`` - the exact signed delivery (same event id and signature
  timestamp) came again: a captured request being replayed, never a gateway retry.
* 404 - the gateway is not enabled here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError, ConflictError
from contexts.payments.models import (
    Payment,
    Refund,
    RefundStatus,
    WebhookEvent,
    WebhookOutcome,
)
from contexts.payments.services import transitions
from contexts.payments.services.gateways import gateway_get
from contexts.payments.services.gateways.base import WebhookNotification, WebhookVerificationError

logger = logging.getLogger(__name__)

MAX_RECORDED_BODY = 64 * 1024  # of a rejected delivery; verified bodies are kept whole
_KEEP_TIMESTAMPS = 50


@dataclass(frozen=True)
class WebhookResult:
    status: str  # processed | duplicate | ignored
    webhook_event_id: UUID
    detail: str = ""


def webhook_receive(*, gateway: str, body: bytes, headers: Mapping[str, str]) -> WebhookResult:
    adapter = gateway_get(gateway)
    signature = headers.get(adapter.signature_header, "")[:1000]
    try:
        note = adapter.verify_webhook(body=body, headers=headers)
    except WebhookVerificationError as exc:
        _record_rejected(gateway=gateway, body=body, signature=signature, exc=exc)
        raise ApplicationError(exc.message, code=exc.code, status_code=400) from exc

    try:
        return _store_and_apply(gateway=gateway, body=body, signature=signature, note=note)
    except _ReplayedError as replay:
        _record_rejected(
            gateway=gateway,
            body=body,
            signature=signature,
            exc=WebhookVerificationError(replay.message, code=replay.code),
        )
        raise


class _ReplayedError(ConflictError):
    code = "webhook_replayed"


def _store_and_apply(
    *, gateway: str, body: bytes, signature: str, note: WebhookNotification
) -> WebhookResult:
    with transaction.atomic():
        existing = _locked_event(gateway, note.event_id)
        if existing is None:
            try:
                with transaction.atomic():
                    event = WebhookEvent.objects.create(
                        gateway=gateway,
                        provider_event_id=note.event_id,
                        event_type=note.event_type[:100],
                        raw_body=body.decode("utf-8", errors="replace"),
                        signature_header=signature,
                        signature_valid=True,
                        signature_timestamps=[note.signature_timestamp],
                    )
            except IntegrityError:  # the same event arriving concurrently: it won
                existing = _locked_event(gateway, note.event_id)
                if existing is None:
                    raise
        if existing is not None:
            return _redelivery(existing, note)
        status, detail = _apply(event, note)
        event.outcome = (
            WebhookOutcome.PROCESSED if status == "processed" else WebhookOutcome.IGNORED
        )
        event.error = detail
        event.processed_at = timezone.now()
        event.save(update_fields=["outcome", "error", "processed_at", "payment"])
    return WebhookResult(status=status, webhook_event_id=event.pk, detail=detail)


def _locked_event(gateway: str, event_id: str) -> WebhookEvent | None:
    return (
        WebhookEvent.objects.select_for_update()
        .filter(gateway=gateway, provider_event_id=event_id, signature_valid=True)
        .first()
    )


def _redelivery(event: WebhookEvent, note: WebhookNotification) -> WebhookResult:
    if note.signature_timestamp in event.signature_timestamps:
        raise _ReplayedError(
            "This exact webhook delivery was already received (a replayed request)."
        )
    event.deliveries += 1
    event.signature_timestamps = [*event.signature_timestamps, note.signature_timestamp][
        -_KEEP_TIMESTAMPS:
    ]
    event.save(update_fields=["deliveries", "signature_timestamps"])
    return WebhookResult(status="duplicate", webhook_event_id=event.pk, detail="already received")


def _record_rejected(
    *, gateway: str, body: bytes, signature: str, exc: WebhookVerificationError
) -> None:
    WebhookEvent.objects.create(
        gateway=gateway,
        raw_body=body[:MAX_RECORDED_BODY].decode("utf-8", errors="replace"),
        signature_header=signature,
        signature_valid=exc.signature_valid,
        outcome=WebhookOutcome.REJECTED,
        error=f"{exc.code}: {exc.message}",
        processed_at=timezone.now(),
    )
    logger.warning("webhook rejected", extra={"gateway": gateway, "code": exc.code})


def _find_payment(gateway: str, note: WebhookNotification) -> Payment | None:
    query = Payment.objects.select_for_update().filter(gateway=gateway)
    if note.session_id:
        payment = query.filter(gateway_session_id=note.session_id).first()
        if payment is not None:
            return payment
    if note.payment_ref:
        try:
            return query.filter(pk=UUID(note.payment_ref)).first()
        except ValueError:
            return None
    return None


def _find_refund(gateway: str, note: WebhookNotification) -> Refund | None:
    """By the gateway's refund id, or by our id echoed in its metadata (the webhook may
    arrive before the gateway's answer to our refund call was recorded)."""
    query = Refund.objects.filter(payment__gateway=gateway)
    if note.gateway_refund_id:
        refund = query.filter(gateway_refund_id=note.gateway_refund_id).first()
        if refund is not None:
            return refund
    if note.refund_ref:
        try:
            return query.filter(pk=UUID(note.refund_ref)).first()
        except ValueError:
            return None
    return None


def _apply(event: WebhookEvent, note: WebhookNotification) -> tuple[str, str]:
    if note.kind in ("payment_succeeded", "payment_failed"):
        payment = _find_payment(event.gateway, note)
        if payment is None:
            logger.info("webhook for an unknown payment", extra={"event": note.event_id})
            return "ignored", "unknown payment"
        event.payment = payment
        if note.kind == "payment_failed":
            changed = transitions.payment_mark_failed(payment=payment, reason=note.reason)
            return "processed", "" if changed else f"no change: payment is {payment.status}"
        if note.amount_minor is not None and (
            note.amount_minor != payment.amount_minor
            or (note.currency and note.currency.upper() != payment.currency)
        ):
            logger.error("webhook amount differs from the payment", extra={"event": note.event_id})
            return "ignored", (
                f"amount mismatch: gateway says {note.amount_minor} {note.currency}, "
                f"payment is {payment.amount_minor} {payment.currency}"
            )
        changed = transitions.payment_mark_succeeded(
            payment=payment, gateway_payment_id=note.gateway_payment_id
        )
        return "processed", "" if changed else f"no change: payment is {payment.status}"
    if note.kind in ("refund_succeeded", "refund_failed"):
        found = _find_refund(event.gateway, note)
        if found is None:
            return "ignored", "unknown refund"
        # lock order everywhere: the payment, then its refund
        payment = Payment.objects.select_for_update().get(pk=found.payment_id)
        refund = Refund.objects.select_for_update().get(pk=found.pk)
        refund.payment = payment
        event.payment = payment
        if note.kind == "refund_succeeded":
            changed = transitions.refund_mark_succeeded(
                refund=refund, payment=payment, gateway_refund_id=note.gateway_refund_id
            )
        else:
            changed = transitions.refund_mark_failed(refund=refund, reason=note.reason)
        if not changed and refund.status == RefundStatus.FAILED and note.kind == "refund_succeeded":
            logger.error(
                "gateway refunded a refund recorded as failed", extra={"refund": refund.pk}
            )
            return "ignored", "refund is recorded as failed; reconcile by hand"
        return "processed", "" if changed else f"no change: refund is {refund.status}"
    return "ignored", f"event type {note.event_type!r} is not handled"
