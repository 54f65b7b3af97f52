"""Reactions of the ledger context to the orders context's events.

* ``orders.order_paid`` -> one sale posting per vendor order (gross, commission at the
  vendor's plan rate, vendor earnings).
* ``orders.refund_issued`` -> one reversal posting, pro rata.

Each handler runs once per event through the platform inbox; the postings' unique keys
make a second delivery of the same fact (another event id, a racing worker) a no-op too.
A refund that arrives before its sale raises, so the transport retries it and, if the sale
never comes, dead-letters it for staff.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import structlog

from bazaar_platform.events import IntegrationEvent
from contexts.ledger.services.postings import (
    RefundFact,
    SaleFact,
    posting_record_refund,
    posting_record_sale,
)
from contexts.orders.events import OrderPaid, RefundIssued

log = structlog.get_logger("bazaar.ledger.handlers")


def _uuid_or_none(value: object) -> UUID | None:
    return UUID(str(value)) if value else None


def on_order_paid_post_sales(event: OrderPaid) -> None:
    for vendor_order in event.vendor_orders:
        posting = posting_record_sale(
            fact=SaleFact(
                source_event_id=event.event_id,
                source_event_type=event.event_type,
                order_id=event.order_id,
                vendor_order_id=UUID(str(vendor_order["vendor_order_id"])),
                vendor_id=UUID(str(vendor_order["vendor_id"])),
                store_id=_uuid_or_none(vendor_order.get("store_id")),
                gross_minor=int(vendor_order["subtotal_minor"]),
                currency=str(vendor_order.get("currency") or event.currency),
                occurred_at=event.occurred_at,
            )
        )
        log.info(
            "ledger_sale_posted",
            vendor_order_id=str(vendor_order["vendor_order_id"]),
            posting_id=str(posting.pk) if posting else None,
        )


def on_refund_issued_post_reversal(event: RefundIssued) -> None:
    posting = posting_record_refund(
        fact=RefundFact(
            source_event_id=event.event_id,
            source_event_type=event.event_type,
            refund_id=event.refund_id,
            vendor_order_id=event.vendor_order_id,
            vendor_id=event.vendor_id,
            amount_minor=event.amount_minor,
            currency=event.currency,
            reason=event.reason,
            occurred_at=event.occurred_at,
        )
    )
    log.info(
        "ledger_refund_posted",
        refund_id=str(event.refund_id),
        posting_id=str(posting.pk) if posting else None,
    )


HANDLERS: dict[type[IntegrationEvent], list[Callable[[Any], None]]] = {
    OrderPaid: [on_order_paid_post_sales],
    RefundIssued: [on_refund_issued_post_reversal],
}
