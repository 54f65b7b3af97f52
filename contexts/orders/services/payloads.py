"""Event payload pieces built from the models (lines as dicts of primitives)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from contexts.orders.events import Line
from contexts.orders.models import CustomerOrder, OrderLine, VendorOrder


def line_dict(line: OrderLine, *, quantity: int | None = None) -> Line:
    return {
        "line_id": str(line.pk),
        "vendor_order_id": str(line.vendor_order_id),
        "listing_id": str(line.listing_id),
        "product_id": str(line.product_id),
        "variant_id": str(line.variant_id),
        "store_id": str(line.store_id),
        "vendor_id": str(line.vendor_id),
        "title": line.title,
        "quantity": line.quantity if quantity is None else quantity,
        "unit_price_minor": line.unit_price_minor,
    }


def order_lines(order: CustomerOrder) -> list[Line]:
    return [line_dict(line) for line in lines_of_order(order)]


def lines_of_order(order: CustomerOrder) -> Iterable[OrderLine]:
    return OrderLine.objects.filter(vendor_order__order=order).order_by("vendor_order_id", "id")


def vendor_order_fields(vendor_order: VendorOrder) -> dict[str, Any]:
    """The fields every vendor-order event shares."""
    return {
        "order_id": vendor_order.order_id,
        "customer_user_id": vendor_order.customer_user_id,
        "vendor_order_id": vendor_order.pk,
        "vendor_id": vendor_order.vendor_id,
        "store_id": vendor_order.store_id,
        "currency": vendor_order.currency,
        "total_minor": vendor_order.subtotal_minor,
    }


def order_fields(order: CustomerOrder) -> dict[str, Any]:
    return {
        "order_id": order.pk,
        "customer_user_id": order.customer_user_id,
        "currency": order.currency,
        "total_minor": order.total_minor,
        "lines": order_lines(order),
    }
