"""Reactions of the orders context to other contexts' events.

Payments say whether an order is paid (only ``purpose == "order"`` concerns us; the
reference id is the order id); the vendors context says when a checkout's stock
reservation expired (its reference is the order id). Handlers run once per event
(inbox) and the services are idempotent besides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from bazaar_platform.events import IntegrationEvent
from contexts.orders.services.lifecycle import (
    order_expire,
    order_payment_failed,
    order_payment_succeeded,
)
from contexts.payments.events import PaymentFailed, PaymentSucceeded
from contexts.vendors.events import StockReservationExpired

PURPOSE = "order"


def on_payment_succeeded_confirm_order(event: PaymentSucceeded) -> None:
    if event.purpose == PURPOSE:
        order_payment_succeeded(order_id=event.reference_id, payment_id=event.payment_id)


def on_payment_failed_cancel_order(event: PaymentFailed) -> None:
    if event.purpose == PURPOSE:
        order_payment_failed(order_id=event.reference_id)


def on_stock_reservation_expired_cancel_order(event: StockReservationExpired) -> None:
    try:
        order_id = UUID(event.reference)
    except ValueError:
        return  # not a checkout of ours
    order_expire(order_id=order_id)


HANDLERS: dict[type[IntegrationEvent], list[Callable[[Any], None]]] = {
    PaymentSucceeded: [on_payment_succeeded_confirm_order],
    PaymentFailed: [on_payment_failed_cancel_order],
    StockReservationExpired: [on_stock_reservation_expired_cancel_order],
}
