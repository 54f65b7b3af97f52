"""Refunds of vendor orders through the payments context.

Two steps, because the payments facade calls the gateway and must run outside a
transaction: ``_refund_hold`` records an ``OrderRefund`` and raises the vendor order's
``refunded_minor`` under a row lock (so two concurrent refunds can never exceed what
was paid: the check and the increment happen under the same lock, and a database
constraint backs it); ``refund_send`` then calls the gateway with an idempotency key
derived from the hold and, on success, publishes ``orders.refund_issued``. A hold
whose call failed (gateway down) is retried by the ``orders.refunds_retry`` beat task
with the same key, so the money goes back exactly once.
"""

from __future__ import annotations

import logging
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError, ConflictError
from bazaar_platform.events import publish
from contexts.orders.events import RefundIssued
from contexts.orders.models import CustomerOrder, OrderRefund, ReturnRequest, VendorOrder
from contexts.orders.services.payloads import line_dict, vendor_order_fields
from contexts.payments import facade as payments

logger = logging.getLogger(__name__)


def refund_hold(
    *,
    vendor_order: VendorOrder,
    amount_minor: int,
    reason: str,
    key: str,
    return_request: ReturnRequest | None = None,
) -> OrderRefund:
    """Record a refund to send (call inside the caller's transaction, with the vendor
    order locked). Same ``key`` again returns the existing hold."""
    existing = OrderRefund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ApplicationError(
            "A refund amount must be a positive whole number.", code="invalid_amount"
        )
    refundable = vendor_order.subtotal_minor - vendor_order.refunded_minor
    if amount_minor > refundable:
        raise ApplicationError(
            f"At most {refundable} can still be refunded on this vendor order.",
            code="refund_exceeds_paid",
            status_code=422,
            extra={"refundable_minor": refundable},
        )
    refund = OrderRefund.objects.create(
        vendor_order=vendor_order,
        return_request=return_request,
        reason=reason,
        amount_minor=amount_minor,
        idempotency_key=key,
    )
    VendorOrder.objects.filter(pk=vendor_order.pk).update(
        refunded_minor=F("refunded_minor") + amount_minor
    )
    CustomerOrder.objects.filter(pk=vendor_order.order_id).update(
        refunded_minor=F("refunded_minor") + amount_minor
    )
    vendor_order.refunded_minor += amount_minor
    return refund


def refund_send(*, refund_id: UUID, publish_event: bool = True) -> OrderRefund:
    """Send a held refund to the payments context (outside any transaction).

    ``publish_event=False`` for money of an order that was never confirmed as paid
    (a payment that arrived after the order was cancelled): no consumer ever booked it.
    """
    refund = OrderRefund.objects.select_related("vendor_order__order").get(pk=refund_id)
    if refund.issued_at is not None:
        return refund
    order = refund.vendor_order.order
    if order.payment_id is None:
        raise ConflictError("This order has no payment to refund.", code="not_paid")
    summary = payments.refund_create(
        payment_id=order.payment_id,
        amount_minor=refund.amount_minor,
        reason=refund.reason,
        idempotency_key=f"orders-refund-{refund.pk}",
    )
    with transaction.atomic():
        locked = OrderRefund.objects.select_for_update().get(pk=refund.pk)
        if locked.issued_at is not None:
            return locked
        locked.payment_refund_id = summary.refund_id
        locked.issued_at = timezone.now()
        locked.save(update_fields=["payment_refund_id", "issued_at"])
        if publish_event:
            publish(_refund_event(locked))
    return locked


def _refund_event(refund: OrderRefund) -> RefundIssued:
    vendor_order = refund.vendor_order
    if refund.return_request is not None:
        lines = [
            line_dict(rl.order_line, quantity=rl.quantity)
            for rl in refund.return_request.lines.select_related("order_line")
        ]
    else:
        lines = [line_dict(line) for line in vendor_order.lines.all()]
    fields = vendor_order_fields(vendor_order)
    return RefundIssued(
        **fields,
        lines=lines,
        refund_id=refund.payment_refund_id or refund.pk,
        amount_minor=refund.amount_minor,
        reason=refund.reason,
        return_id=str(refund.return_request_id or ""),
    )


def refunds_send_pending(*, refund_ids: list[UUID], publish_event: bool = True) -> None:
    """Send each hold; one failing (gateway down) does not stop the others."""
    for refund_id in refund_ids:
        try:
            refund_send(refund_id=refund_id, publish_event=publish_event)
        except payments.PaymentGatewayUnavailable:
            logger.warning(
                "refund postponed: gateway unavailable", extra={"refund": str(refund_id)}
            )
        except ApplicationError as exc:
            # The state change it follows is committed; the hold stays for the retry
            # task and for staff (admin: refunds without an issue date).
            logger.error(
                "refund refused by the payments context",
                extra={"refund": str(refund_id), "code": exc.code, "detail": exc.message},
            )


def refunds_retry() -> int:
    """Resend every held refund the gateway has not confirmed (beat task)."""
    pending = list(
        OrderRefund.objects.filter(issued_at__isnull=True)
        .select_related("vendor_order__order")
        .values_list("pk", "vendor_order__order__paid_at")
    )
    for refund_id, paid_at in pending:
        refunds_send_pending(refund_ids=[refund_id], publish_event=paid_at is not None)
    return len(pending)
