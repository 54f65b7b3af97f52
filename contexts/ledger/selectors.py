"""Reads of the ledger context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncYear

from contexts.ledger.models import Entry, EntryKind, Posting, PostingKind


def posting_get_by_key(*, key: str) -> Posting | None:
    return Posting.objects.filter(posting_key=key).first()


def vendor_balance(*, vendor_id: UUID) -> dict[str, int]:
    """What the platform owes ``vendor_id`` per currency: the sum of its earnings entries
    (sales minus reversals). Currencies the vendor never sold in are absent."""
    rows = (
        Entry.objects.filter(vendor_id=vendor_id, kind=EntryKind.VENDOR_EARNINGS)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("currency")
    )
    return {row["currency"]: int(row["total"]) for row in rows}


def posting_list_for_vendor(
    *,
    vendor_id: UUID,
    date_from: date | None = None,
    date_to: date | None = None,
    currency: str | None = None,
    kind: str | None = None,
) -> QuerySet[Posting]:
    """A vendor's statement: its postings, newest first, with their entries. Dates are
    inclusive and compared in the project's time zone."""
    postings = Posting.objects.filter(vendor_id=vendor_id).prefetch_related(
        Prefetch("entries", queryset=Entry.objects.order_by("id"))
    )
    if date_from is not None:
        postings = postings.filter(occurred_at__date__gte=date_from)
    if date_to is not None:
        postings = postings.filter(occurred_at__date__lte=date_to)
    if currency:
        postings = postings.filter(currency=currency)
    if kind:
        postings = postings.filter(kind=kind)
    return postings.order_by("-occurred_at", "-posted_at", "-pk")


@dataclass(frozen=True)
class PeriodTotal:
    period: datetime
    currency: str
    gross_minor: int
    commission_minor: int
    earnings_minor: int
    sales: int
    refunds: int


_TRUNC = {"day": TruncDay, "month": TruncMonth, "year": TruncYear}


def platform_totals(
    *, postings: QuerySet[Posting] | None = None, period: str = "month"
) -> list[PeriodTotal]:
    """Commission earned (net of reversals), gross and vendor earnings per currency and
    ``period`` ("day", "month", "year"), newest period first, over ``postings`` (all when
    ``None``; the admin passes its filtered changelist)."""
    if period not in _TRUNC:
        raise ValueError(f"period is one of {sorted(_TRUNC)}")
    base = Posting.objects.all() if postings is None else postings
    rows = (
        base.order_by()
        .annotate(period=_TRUNC[period]("occurred_at"))
        .values("period", "currency")
        .annotate(
            gross=Sum("gross_minor"),
            commission=Sum("commission_minor"),
            earnings=Sum("earnings_minor"),
            sales=Count("pk", filter=Q(kind=PostingKind.SALE)),
            refunds=Count("pk", filter=Q(kind=PostingKind.REFUND)),
        )
        .order_by("-period", "currency")
    )
    return [
        PeriodTotal(
            period=row["period"],
            currency=row["currency"],
            gross_minor=int(row["gross"]),
            commission_minor=int(row["commission"]),
            earnings_minor=int(row["earnings"]),
            sales=row["sales"],
            refunds=row["refunds"],
        )
        for row in rows
    ]
