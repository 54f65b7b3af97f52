"""Vendor fulfilment: accept, pack, ship (carrier + tracking number), deliver.

Every operation takes the acting vendor's id and finds the vendor order among that
vendor's own only, so another vendor's id answers 404, never 403 (no probing).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError, NotFoundError
from bazaar_platform.events import IntegrationEvent, publish
from contexts.orders.events import VendorOrderAccepted, VendorOrderDelivered, VendorOrderShipped
from contexts.orders.models import CustomerOrder, VendorOrder, VendorOrderStatus
from contexts.orders.services.lifecycle import order_complete_if_done
from contexts.orders.services.payloads import line_dict, vendor_order_fields
from contexts.orders.services.state import transition_check


def _locked_for_vendor(vendor_id: UUID, vendor_order_id: UUID) -> VendorOrder:
    """The vendor's own vendor order, locked after its customer order: every writer
    locks the order first, then its vendor orders, so they never deadlock."""
    order_id = (
        VendorOrder.objects.filter(pk=vendor_order_id, vendor_id=vendor_id)
        .values_list("order_id", flat=True)
        .first()
    )
    if order_id is None:
        raise NotFoundError("There is no such vendor order.")
    order = CustomerOrder.objects.select_for_update().get(pk=order_id)
    vendor_order = VendorOrder.objects.select_for_update().get(pk=vendor_order_id)
    vendor_order.order = order
    return vendor_order


def _move(
    vendor_order: VendorOrder, target: str, stamp: str, extra: list[str] | None = None
) -> None:
    transition_check(kind="vendor_order", current=vendor_order.status, target=target)
    vendor_order.status = target
    setattr(vendor_order, stamp, timezone.now())
    vendor_order.save(update_fields=["status", stamp, "updated_at", *(extra or [])])


def _fields(vendor_order: VendorOrder) -> dict[str, Any]:
    return {
        **vendor_order_fields(vendor_order),
        "lines": [line_dict(line) for line in vendor_order.lines.all()],
    }


def _publish(event_class: type[IntegrationEvent], vendor_order: VendorOrder, **more: Any) -> None:
    publish(event_class(**_fields(vendor_order), **more))


def vendor_order_accept(*, vendor_id: UUID, vendor_order_id: UUID) -> VendorOrder:
    with transaction.atomic():
        vendor_order = _locked_for_vendor(vendor_id, vendor_order_id)
        _move(vendor_order, VendorOrderStatus.ACCEPTED, "accepted_at")
        _publish(VendorOrderAccepted, vendor_order)
    return vendor_order


def vendor_order_pack(*, vendor_id: UUID, vendor_order_id: UUID) -> VendorOrder:
    with transaction.atomic():
        vendor_order = _locked_for_vendor(vendor_id, vendor_order_id)
        _move(vendor_order, VendorOrderStatus.PACKED, "packed_at")
    return vendor_order


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 100:
        raise ApplicationError(
            f"{field.replace('_', ' ').capitalize()} is required (at most 100 characters).",
            code="validation_error",
            fields={field: ["1 to 100 characters."]},
        )
    return value.strip()


def vendor_order_ship(
    *, vendor_id: UUID, vendor_order_id: UUID, carrier: str, tracking_number: str
) -> VendorOrder:
    carrier = _text(carrier, "carrier")
    tracking_number = _text(tracking_number, "tracking_number")
    with transaction.atomic():
        vendor_order = _locked_for_vendor(vendor_id, vendor_order_id)
        vendor_order.carrier = carrier
        vendor_order.tracking_number = tracking_number
        _move(
            vendor_order,
            VendorOrderStatus.SHIPPED,
            "shipped_at",
            extra=["carrier", "tracking_number"],
        )
        _publish(VendorOrderShipped, vendor_order, carrier=carrier, tracking_number=tracking_number)
    return vendor_order


def vendor_order_deliver(*, vendor_id: UUID, vendor_order_id: UUID) -> VendorOrder:
    with transaction.atomic():
        vendor_order = _locked_for_vendor(vendor_id, vendor_order_id)
        _move(vendor_order, VendorOrderStatus.DELIVERED, "delivered_at")
        _publish(
            VendorOrderDelivered,
            vendor_order,
            carrier=vendor_order.carrier,
            tracking_number=vendor_order.tracking_number,
        )
        order_complete_if_done(order=vendor_order.order)
    return vendor_order
