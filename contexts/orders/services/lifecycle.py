"""An order's life after checkout: paid, cancelled (by the customer, a failed payment,
expiry or missing stock), completed.

Stock follows the order through the vendors facade, referenced by the order id:
payment commits the reservation, a cancellation before payment releases it, and a
cancellation after payment puts the sold units back (``stock_return``). Refunds go out
after the transaction (``services.refunds``).
"""

from __future__ import annotations

import logging
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from bazaar_platform.api.errors import ConflictError, NotFoundError
from bazaar_platform.events import publish
from contexts.orders.events import OrderCancelled, OrderPaid
from contexts.orders.models import (
    CustomerOrder,
    OrderStatus,
    RefundReason,
    VendorOrder,
    VendorOrderStatus,
)
from contexts.orders.services.payloads import order_fields
from contexts.orders.services.refunds import refund_hold, refunds_send_pending
from contexts.orders.services.state import CANCELLABLE, transition_check
from contexts.vendors import facade as vendors

logger = logging.getLogger(__name__)


def _locked(order_id: UUID) -> CustomerOrder | None:
    return CustomerOrder.objects.select_for_update().filter(pk=order_id).first()


def _mark_paid(order: CustomerOrder, payment_id: UUID) -> None:
    transition_check(kind="order", current=order.status, target=OrderStatus.PAID)
    now = timezone.now()
    order.status = OrderStatus.PAID
    order.payment_id = payment_id
    order.paid_at = now
    order.save(update_fields=["status", "payment_id", "paid_at", "updated_at"])
    vendor_orders = list(order.vendor_orders.order_by("id"))
    for vendor_order in vendor_orders:
        transition_check(
            kind="vendor_order", current=vendor_order.status, target=VendorOrderStatus.PAID
        )
    VendorOrder.objects.filter(order=order).update(status=VendorOrderStatus.PAID, updated_at=now)
    publish(
        OrderPaid(
            **order_fields(order),
            payment_id=payment_id,
            vendor_orders=[
                {
                    "vendor_order_id": str(vo.pk),
                    "vendor_id": str(vo.vendor_id),
                    "store_id": str(vo.store_id),
                    "subtotal_minor": vo.subtotal_minor,
                }
                for vo in vendor_orders
            ],
        )
    )


def _cancel_locked(order: CustomerOrder, *, reason: str) -> list[UUID]:
    """Cancel a locked order and its vendor orders; give the stock back. Returns the
    refunds to send (after commit) when money had been taken."""
    was_paid = order.status == OrderStatus.PAID
    transition_check(kind="order", current=order.status, target=OrderStatus.CANCELLED)
    vendor_orders = list(order.vendor_orders.select_for_update().order_by("id"))
    shipped = [
        vo for vo in vendor_orders if vo.status not in CANCELLABLE and vo.status != "cancelled"
    ]
    if shipped:
        raise ConflictError(
            "Part of this order has already shipped; return it after delivery instead.",
            code="already_shipped",
            extra={"vendor_order_ids": [str(vo.pk) for vo in shipped]},
        )
    now = timezone.now()
    refund_ids: list[UUID] = []
    for vendor_order in vendor_orders:
        if vendor_order.status == VendorOrderStatus.CANCELLED:
            continue
        vendor_order.status = VendorOrderStatus.CANCELLED
        vendor_order.cancelled_at = now
        vendor_order.save(update_fields=["status", "cancelled_at", "updated_at"])
        if was_paid:
            for line in vendor_order.lines.all():
                vendors.stock_return(
                    listing_id=line.listing_id,
                    quantity=line.quantity,
                    reference=f"order-cancel-{order.pk}",
                )
            amount = vendor_order.subtotal_minor - vendor_order.refunded_minor
            if amount > 0:
                refund = refund_hold(
                    vendor_order=vendor_order,
                    amount_minor=amount,
                    reason=RefundReason.CANCELLATION,
                    key=f"cancel-{vendor_order.pk}",
                )
                refund_ids.append(refund.pk)
    if not was_paid:
        vendors.stock_release(reference=str(order.pk))
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = now
    order.cancel_reason = reason
    order.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    publish(
        OrderCancelled(
            **order_fields(order),
            reason=reason,
            refunded=bool(refund_ids),
        )
    )
    return refund_ids


def order_cancel(
    *, order_id: UUID, reason: str, customer_user_id: UUID | None = None
) -> CustomerOrder:
    """Cancel an order before anything shipped; refund what was paid.

    ``customer_user_id`` restricts it to that customer's orders (404 otherwise).
    Cancelling a cancelled order again is a no-op.
    """
    with transaction.atomic():
        order = _locked(order_id)
        if order is None or (
            customer_user_id is not None and order.customer_user_id != customer_user_id
        ):
            raise NotFoundError("There is no such order.")
        if order.status == OrderStatus.CANCELLED:
            return order
        refund_ids = _cancel_locked(order, reason=reason)
    refunds_send_pending(refund_ids=refund_ids)
    order.refresh_from_db()
    return order


def order_payment_succeeded(*, order_id: UUID, payment_id: UUID) -> None:
    """The customer paid: commit the reserved stock and hand the vendor orders over.

    If the reservation expired meanwhile the vendors facade tries to take the stock
    again; when it is gone the order is confirmed paid, then cancelled and refunded
    (so the ledger sees the money in and out). A payment for an order already
    cancelled goes back to the payer without any order event.
    """
    late_refunds: list[UUID] = []
    refund_ids: list[UUID] = []
    with transaction.atomic():
        order = _locked(order_id)
        if order is None:
            logger.warning("payment for an unknown order", extra={"order": str(order_id)})
            return
        if order.status in (OrderStatus.PAID, OrderStatus.COMPLETED):
            return
        if order.status == OrderStatus.CANCELLED:
            if order.payment_id is None:
                order.payment_id = payment_id
                order.save(update_fields=["payment_id", "updated_at"])
            for vendor_order in order.vendor_orders.select_for_update().order_by("id"):
                amount = vendor_order.subtotal_minor - vendor_order.refunded_minor
                if amount > 0:
                    late_refunds.append(
                        refund_hold(
                            vendor_order=vendor_order,
                            amount_minor=amount,
                            reason=RefundReason.CANCELLATION,
                            key=f"late-{vendor_order.pk}",
                        ).pk
                    )
        else:
            try:
                with transaction.atomic():
                    vendors.stock_commit(reference=str(order.pk))
                out_of_stock = False
            except vendors.OutOfStockError:
                out_of_stock = True
            _mark_paid(order, payment_id)
            if out_of_stock:
                refund_ids = _cancel_after_commit_failed(order)
    refunds_send_pending(refund_ids=late_refunds, publish_event=False)
    refunds_send_pending(refund_ids=refund_ids)


def _cancel_after_commit_failed(order: CustomerOrder) -> list[UUID]:
    """Paid, but the stock is gone: nothing was sold, so nothing goes back to stock."""
    now = timezone.now()
    refund_ids: list[UUID] = []
    for vendor_order in order.vendor_orders.select_for_update().order_by("id"):
        vendor_order.status = VendorOrderStatus.CANCELLED
        vendor_order.cancelled_at = now
        vendor_order.save(update_fields=["status", "cancelled_at", "updated_at"])
        refund_ids.append(
            refund_hold(
                vendor_order=vendor_order,
                amount_minor=vendor_order.subtotal_minor,
                reason=RefundReason.CANCELLATION,
                key=f"cancel-{vendor_order.pk}",
            ).pk
        )
    vendors.stock_release(reference=str(order.pk))
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = now
    order.cancel_reason = "out_of_stock"
    order.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    publish(
        OrderCancelled(
            **order_fields(order),
            reason="out_of_stock",
            refunded=True,
        )
    )
    return refund_ids


def order_payment_failed(*, order_id: UUID) -> None:
    """The payment was declined or abandoned: release the stock, cancel the order."""
    with transaction.atomic():
        order = _locked(order_id)
        if order is None or order.status != OrderStatus.PENDING_PAYMENT:
            return
        _cancel_locked(order, reason="payment_failed")


def order_expire(*, order_id: UUID) -> bool:
    """Cancel an order still unpaid (its reservation expired). True if it was cancelled."""
    with transaction.atomic():
        order = _locked(order_id)
        if order is None or order.status != OrderStatus.PENDING_PAYMENT:
            return False
        _cancel_locked(order, reason="expired")
        return True


def orders_expire_unpaid() -> int:
    """Cancel every unpaid order past its payment deadline (beat task)."""
    due = CustomerOrder.objects.filter(
        status=OrderStatus.PENDING_PAYMENT, expires_at__lt=timezone.now()
    ).values_list("pk", flat=True)
    return sum(1 for order_id in list(due[:500]) if order_expire(order_id=order_id))


def order_complete_if_done(*, order: CustomerOrder) -> None:
    """A paid order whose every vendor order is delivered or cancelled is completed."""
    statuses = set(order.vendor_orders.values_list("status", flat=True))
    if (
        order.status == OrderStatus.PAID
        and statuses
        <= {
            VendorOrderStatus.DELIVERED,
            VendorOrderStatus.CANCELLED,
        }
        and VendorOrderStatus.DELIVERED in statuses
    ):
        transition_check(kind="order", current=order.status, target=OrderStatus.COMPLETED)
        order.status = OrderStatus.COMPLETED
        order.save(update_fields=["status", "updated_at"])
