"""The ledger context's synchronous API for other contexts.

Plain functions with keyword-only arguments returning plain values or frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from contexts.ledger import selectors


@dataclass(frozen=True)
class StatementLine:
    """One posting of a vendor's statement; amounts are signed (refunds negative) and
    ``gross_minor == commission_minor + earnings_minor``."""

    posting_id: UUID
    kind: str  # "sale" | "refund"
    vendor_order_id: UUID
    order_id: UUID | None
    refund_id: UUID | None
    store_id: UUID | None
    currency: str
    gross_minor: int
    commission_minor: int
    earnings_minor: int
    commission_rate_bp: int
    occurred_at: datetime


def vendor_balance(*, vendor_id: UUID) -> dict[str, int]:
    """What the platform owes ``vendor_id`` per currency, in minor units (``{"EUR": 9000}``):
    its earnings from paid vendor orders minus refund reversals. Empty when nothing was
    posted."""
    return selectors.vendor_balance(vendor_id=vendor_id)


def vendor_statement(
    *,
    vendor_id: UUID,
    date_from: date | None = None,
    date_to: date | None = None,
    currency: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[StatementLine]:
    """``vendor_id``'s postings, newest first, optionally between two dates (inclusive)
    and in one currency; ``limit`` (at most 1000) and ``offset`` page through them."""
    limit = max(0, min(limit, 1000))
    postings = selectors.posting_list_for_vendor(
        vendor_id=vendor_id, date_from=date_from, date_to=date_to, currency=currency
    )[max(0, offset) : max(0, offset) + limit]
    return [
        StatementLine(
            posting_id=p.pk,
            kind=p.kind,
            vendor_order_id=p.vendor_order_id,
            order_id=p.order_id,
            refund_id=p.refund_id,
            store_id=p.store_id,
            currency=p.currency,
            gross_minor=p.gross_minor,
            commission_minor=p.commission_minor,
            earnings_minor=p.earnings_minor,
            commission_rate_bp=p.commission_rate_bp,
            occurred_at=p.occurred_at,
        )
        for p in postings
    ]
