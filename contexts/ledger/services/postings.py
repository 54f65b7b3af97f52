"""Posting paid vendor orders and their refunds.

Both services are idempotent per fact (``Posting.posting_key``): the same sale or refund
delivered again, by the same or a different event, returns the posting already made. The
platform inbox skips a redelivered event before that; the key also covers two events
describing one fact and two workers racing on one event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import structlog
from django.db import IntegrityError, transaction
from django.db.models import Sum

from bazaar_platform.api.errors import ApplicationError, ConflictError
from bazaar_platform.currencies import is_currency
from bazaar_platform.events import publish
from contexts.ledger.events import EntriesPosted
from contexts.ledger.models import ACCOUNT_OF, Entry, EntryKind, Posting, PostingKind
from contexts.ledger.selectors import posting_get_by_key
from contexts.ledger.services.split import Split, split_refund, split_sale
from contexts.subscriptions import facade as subscriptions

log = structlog.get_logger("bazaar.ledger")

#: The largest vendor order the ledger accepts (10 million in major units of a two-decimal
#: currency): anything larger is a bug upstream, not a sale.
MAX_AMOUNT_MINOR = 1_000_000_000


class SalePostingMissingError(ConflictError):
    """A refund arrived before the sale it reverses was posted (events of one order can
    arrive out of order over Celery): the handler fails, is retried and, if the sale never
    comes, lands in the dead-letter store for staff."""

    code = "sale_not_posted"


@dataclass(frozen=True)
class SaleFact:
    source_event_id: UUID
    source_event_type: str
    order_id: UUID | None
    vendor_order_id: UUID
    vendor_id: UUID
    store_id: UUID | None
    gross_minor: int
    currency: str
    occurred_at: datetime


@dataclass(frozen=True)
class RefundFact:
    source_event_id: UUID
    source_event_type: str
    refund_id: UUID
    vendor_order_id: UUID
    vendor_id: UUID
    amount_minor: int
    currency: str
    reason: str
    occurred_at: datetime


def _check_amount(amount: int, *, name: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount > MAX_AMOUNT_MINOR:
        raise ApplicationError(
            f"{name} must be an integer of minor units up to {MAX_AMOUNT_MINOR}.",
            code="invalid_amount",
        )


def _check_currency(currency: str) -> None:
    if not is_currency(currency):
        raise ApplicationError(
            f"{str(currency)[:10]!r} is not an ISO 4217 currency code.", code="invalid_currency"
        )


def _post(
    *,
    key: str,
    kind: str,
    split: Split,
    sign: int,
    rate_bp: int,
    vendor_id: UUID,
    store_id: UUID | None,
    order_id: UUID | None,
    vendor_order_id: UUID,
    refund_id: UUID | None,
    currency: str,
    source_event_id: UUID,
    source_event_type: str,
    reason: str,
    occurred_at: datetime,
) -> Posting:
    amounts = {
        EntryKind.GROSS_SALE: sign * split.gross_minor,
        EntryKind.COMMISSION: sign * split.commission_minor,
        EntryKind.VENDOR_EARNINGS: sign * split.earnings_minor,
    }
    posting = Posting(
        posting_key=key,
        kind=kind,
        vendor_id=vendor_id,
        store_id=store_id,
        order_id=order_id,
        vendor_order_id=vendor_order_id,
        refund_id=refund_id,
        source_event_id=source_event_id,
        source_event_type=source_event_type,
        currency=currency,
        gross_minor=amounts[EntryKind.GROSS_SALE],
        commission_minor=amounts[EntryKind.COMMISSION],
        earnings_minor=amounts[EntryKind.VENDOR_EARNINGS],
        commission_rate_bp=rate_bp,
        reason=reason,
        occurred_at=occurred_at,
    )
    posting.save()
    Entry.objects.bulk_create(
        Entry(
            posting=posting,
            kind=entry_kind,
            account=ACCOUNT_OF[entry_kind],
            amount_minor=amount,
            vendor_id=vendor_id,
            currency=currency,
            occurred_at=occurred_at,
        )
        for entry_kind, amount in amounts.items()
    )
    publish(
        EntriesPosted(
            posting_id=posting.pk,
            posting_kind=kind,
            vendor_id=vendor_id,
            store_id=store_id,
            order_id=order_id,
            vendor_order_id=vendor_order_id,
            refund_id=refund_id,
            currency=currency,
            commission_rate_bp=rate_bp,
            entries={str(k): v for k, v in amounts.items()},
            effective_at=occurred_at,
        )
    )
    return posting


def _sale_key(vendor_order_id: UUID) -> str:
    return f"sale:{vendor_order_id}"


def posting_record_sale(*, fact: SaleFact) -> Posting | None:
    """Post a paid vendor order: gross, commission at the vendor's rate now (the
    subscriptions facade), vendor earnings. Returns the posting (the existing one when the
    sale was posted before), or ``None`` for a zero gross (nothing to post)."""
    _check_amount(fact.gross_minor, name="subtotal_minor")
    _check_currency(fact.currency)
    if fact.gross_minor < 0:
        raise ApplicationError("A sale's gross cannot be negative.", code="invalid_amount")
    key = _sale_key(fact.vendor_order_id)
    existing = posting_get_by_key(key=key)
    if existing is not None:
        return existing
    if fact.gross_minor == 0:
        log.info("ledger_zero_sale_skipped", vendor_order_id=str(fact.vendor_order_id))
        return None
    rate = subscriptions.commission_rate_for(vendor_id=fact.vendor_id)
    split = split_sale(gross_minor=fact.gross_minor, rate_bp=rate)
    try:
        with transaction.atomic():
            return _post(
                key=key,
                kind=PostingKind.SALE,
                split=split,
                sign=1,
                rate_bp=rate,
                vendor_id=fact.vendor_id,
                store_id=fact.store_id,
                order_id=fact.order_id,
                vendor_order_id=fact.vendor_order_id,
                refund_id=None,
                currency=fact.currency,
                source_event_id=fact.source_event_id,
                source_event_type=fact.source_event_type,
                reason="",
                occurred_at=fact.occurred_at,
            )
    except IntegrityError:
        # Another worker posted the same sale between our look-up and our insert.
        existing = posting_get_by_key(key=key)
        if existing is None:
            raise
        return existing


def posting_record_refund(*, fact: RefundFact) -> Posting | None:
    """Post the reversal of a refund of part (or all) of a vendor order's sale, pro rata
    (see :mod:`contexts.ledger.services.split`). Capped at what is left to reverse;
    ``None`` when nothing is left. Raises ``sale_not_posted`` (409) when the sale is not
    posted yet, and 409 ``refund_mismatch`` when the refund names another vendor or
    currency than the sale."""
    _check_amount(fact.amount_minor, name="amount_minor")
    _check_currency(fact.currency)
    if fact.amount_minor <= 0:
        raise ApplicationError("A refund is a positive amount.", code="invalid_amount")
    key = f"refund:{fact.refund_id}"
    existing = posting_get_by_key(key=key)
    if existing is not None:
        return existing
    with transaction.atomic():
        # The sale's row lock serialises every refund of one vendor order, so two
        # concurrent refunds cannot both reverse the last of it.
        sale = (
            Posting.objects.select_for_update()
            .filter(posting_key=_sale_key(fact.vendor_order_id))
            .first()
        )
        if sale is None:
            raise SalePostingMissingError(
                f"Vendor order {fact.vendor_order_id} has no sale posting to reverse yet."
            )
        if sale.vendor_id != fact.vendor_id or sale.currency != fact.currency:
            raise ConflictError(
                "The refund names another vendor or currency than its sale.",
                code="refund_mismatch",
            )
        existing = posting_get_by_key(key=key)
        if existing is not None:
            return existing
        refunded = -(
            Posting.objects.filter(
                vendor_order_id=fact.vendor_order_id, kind=PostingKind.REFUND
            ).aggregate(total=Sum("gross_minor"))["total"]
            or 0
        )
        split = split_refund(
            sale=Split(
                gross_minor=sale.gross_minor,
                commission_minor=sale.commission_minor,
                earnings_minor=sale.earnings_minor,
            ),
            refunded_before_minor=refunded,
            amount_minor=fact.amount_minor,
        )
        if split.gross_minor < fact.amount_minor:
            log.warning(
                "ledger_refund_capped",
                refund_id=str(fact.refund_id),
                vendor_order_id=str(fact.vendor_order_id),
                asked=fact.amount_minor,
                reversed=split.gross_minor,
            )
        if split.gross_minor == 0:
            return None
        return _post(
            key=key,
            kind=PostingKind.REFUND,
            split=split,
            sign=-1,
            rate_bp=sale.commission_rate_bp,
            vendor_id=sale.vendor_id,
            store_id=sale.store_id,
            order_id=sale.order_id,
            vendor_order_id=sale.vendor_order_id,
            refund_id=fact.refund_id,
            currency=sale.currency,
            source_event_id=fact.source_event_id,
            source_event_type=fact.source_event_type,
            reason=fact.reason[:32],
            occurred_at=fact.occurred_at,
        )
