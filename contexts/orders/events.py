"""The orders context's published language.

Ordering key: the customer order (``aggregate = "order_id"``), so one order's history,
its vendor orders' fulfilment and its returns included, is seen in order.

Every event carries ``order_id`` and ``customer_user_id``. Order lines travel as
``list[dict]`` of primitives with the keys of ``LINE_KEYS``; ``currency`` and
``total_minor`` (the order's total on order-level events, the vendor order's total on
vendor-order events) come beside them. The customer's e-mail is never in an event
(personal data): notifications look it up through the auth facade.

Consumers: ledger (``order_paid``, ``refund_issued``), notifications, reviews
(delivered purchases), search (co-purchases).
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from bazaar_platform.events import IntegrationEvent

# The keys of one line dict; ids are strings, amounts integer minor units.
LINE_KEYS: tuple[str, ...] = (
    "line_id",
    "vendor_order_id",
    "listing_id",
    "product_id",
    "variant_id",
    "store_id",
    "vendor_id",
    "title",
    "quantity",
    "unit_price_minor",
)

Line = dict[str, str | int]


class _OrderEvent(IntegrationEvent):
    aggregate: ClassVar[str] = "order_id"

    order_id: UUID
    customer_user_id: UUID
    currency: str
    total_minor: int
    lines: list[Line]


class OrderPlaced(_OrderEvent):
    """A customer checked out: stock is reserved and the order waits for payment."""

    event_type: ClassVar[str] = "orders.order_placed"
    version: ClassVar[int] = 1

    payment_id: str = ""
    expires_at: str = ""


class OrderPaid(_OrderEvent):
    """The payment for an order succeeded: its vendor orders are now the vendors' to fulfil.

    ``vendor_orders`` holds one dict per vendor order: ``vendor_order_id``,
    ``vendor_id``, ``store_id`` (strings) and ``subtotal_minor`` (int).
    """

    event_type: ClassVar[str] = "orders.order_paid"
    version: ClassVar[int] = 1

    payment_id: UUID
    vendor_orders: list[dict[str, str | int]]


class OrderCancelled(_OrderEvent):
    """An order was cancelled (by the customer, by expiry, or because stock was gone).

    ``reason``: "customer" | "payment_failed" | "expired" | "out_of_stock" | "staff".
    ``refunded`` says whether a refund was started for money already taken.
    """

    event_type: ClassVar[str] = "orders.order_cancelled"
    version: ClassVar[int] = 1

    reason: str
    refunded: bool = False


class _VendorOrderEvent(_OrderEvent):
    vendor_order_id: UUID
    vendor_id: UUID
    store_id: UUID


class VendorOrderAccepted(_VendorOrderEvent):
    """A vendor accepted its part of a paid order."""

    event_type: ClassVar[str] = "orders.vendor_order_accepted"
    version: ClassVar[int] = 1


class VendorOrderShipped(_VendorOrderEvent):
    """A vendor handed its part of an order to a carrier."""

    event_type: ClassVar[str] = "orders.vendor_order_shipped"
    version: ClassVar[int] = 1

    carrier: str
    tracking_number: str


class VendorOrderDelivered(_VendorOrderEvent):
    """A vendor order reached the customer."""

    event_type: ClassVar[str] = "orders.vendor_order_delivered"
    version: ClassVar[int] = 1

    carrier: str
    tracking_number: str


class _ReturnEvent(_VendorOrderEvent):
    """``lines`` are the returned lines with the returned ``quantity``."""

    return_id: UUID
    reason: str


class ReturnRequested(_ReturnEvent):
    """A customer asked to return delivered lines of a vendor order."""

    event_type: ClassVar[str] = "orders.return_requested"
    version: ClassVar[int] = 1


class ReturnApproved(_ReturnEvent):
    """The vendor approved a return; ``refund_amount_minor`` goes back to the customer."""

    event_type: ClassVar[str] = "orders.return_approved"
    version: ClassVar[int] = 1

    refund_amount_minor: int
    restock: bool


class ReturnRejected(_ReturnEvent):
    """The vendor rejected a return (``rejection_reason`` says why)."""

    event_type: ClassVar[str] = "orders.return_rejected"
    version: ClassVar[int] = 1

    rejection_reason: str


class RefundIssued(_VendorOrderEvent):
    """Money of one vendor order went back to the customer through the payments context.

    ``amount_minor`` is this refund; ``reason`` is "cancellation" | "return";
    ``lines`` are the lines refunded (all of the vendor order's on a cancellation).
    """

    event_type: ClassVar[str] = "orders.refund_issued"
    version: ClassVar[int] = 1

    refund_id: UUID
    amount_minor: int
    reason: str
    return_id: str = ""


ALL_EVENTS: tuple[type[IntegrationEvent], ...] = (
    OrderPlaced,
    OrderPaid,
    OrderCancelled,
    VendorOrderAccepted,
    VendorOrderShipped,
    VendorOrderDelivered,
    ReturnRequested,
    ReturnApproved,
    ReturnRejected,
    RefundIssued,
)
