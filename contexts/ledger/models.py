"""The marketplace ledger: append-only postings and their entries.

A **posting** is one business fact about one vendor order: its sale was paid, or part of
it was refunded. Its **entries** are the double-entry lines of that fact, one per kind:

==================  =========================  ======
kind                account                    side
==================  =========================  ======
``gross_sale``      order clearing             debit   (what the customer paid for the vendor order)
``commission``      platform revenue           credit
``vendor_earnings`` vendor payable (the vendor) credit
==================  =========================  ======

Every posting balances: ``gross_sale == commission + vendor_earnings``. Refund postings
carry the same three kinds with negative amounts (the reversal). Nothing here is ever
updated or deleted: the ORM refuses (``save`` of an existing row, ``delete``, queryset
``update``/``delete``) and on PostgreSQL a trigger refuses any ``UPDATE``/``DELETE`` too.
Corrections are new postings.

Vendors, stores, orders and refunds belong to other contexts: only their UUIDs are kept.
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class ImmutableError(Exception):
    """Ledger rows are append-only: post a correcting entry instead."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableError("Ledger rows are never updated; post a correcting entry.")

    def delete(self) -> NoReturn:
        raise ImmutableError("Ledger rows are never deleted; post a correcting entry.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError(f"{type(self).__name__} rows are never updated.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableError(f"{type(self).__name__} rows are never deleted.")


class PostingKind(models.TextChoices):
    SALE = "sale", "Sale (vendor order paid)"
    REFUND = "refund", "Refund (reversal)"


class EntryKind(models.TextChoices):
    GROSS_SALE = "gross_sale", "Gross sale"
    COMMISSION = "commission", "Platform commission"
    VENDOR_EARNINGS = "vendor_earnings", "Vendor earnings"


class Account(models.TextChoices):
    ORDER_CLEARING = "order_clearing", "Order clearing (debit)"
    PLATFORM_REVENUE = "platform_revenue", "Platform revenue (credit)"
    VENDOR_PAYABLE = "vendor_payable", "Vendor payable (credit)"


ACCOUNT_OF: dict[str, str] = {
    EntryKind.GROSS_SALE: Account.ORDER_CLEARING,
    EntryKind.COMMISSION: Account.PLATFORM_REVENUE,
    EntryKind.VENDOR_EARNINGS: Account.VENDOR_PAYABLE,
}


class Posting(AppendOnlyModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    posting_key = models.CharField(
        max_length=64,
        unique=True,
        help_text="sale:<vendor_order_id> or refund:<refund_id>: one posting per fact.",
    )
    kind = models.CharField(max_length=8, choices=PostingKind.choices)
    vendor_id = models.UUIDField()
    store_id = models.UUIDField(null=True, blank=True)
    order_id = models.UUIDField(null=True, blank=True)
    vendor_order_id = models.UUIDField(db_index=True)
    refund_id = models.UUIDField(null=True, blank=True)
    source_event_id = models.UUIDField(help_text="The event this posting records.")
    source_event_type = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    gross_minor = models.BigIntegerField()
    commission_minor = models.BigIntegerField()
    earnings_minor = models.BigIntegerField()
    commission_rate_bp = models.PositiveIntegerField(
        help_text="The rate in force when the sale was paid (a refund reuses its sale's)."
    )
    reason = models.CharField(max_length=32, blank=True)
    occurred_at = models.DateTimeField(help_text="When it happened (the event's time).")
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-posted_at"]
        indexes = [
            models.Index(fields=["vendor_id", "occurred_at"], name="ledger_post_vendor_time")
        ]
        constraints = [
            # One posting per source event and vendor order (an order_paid event posts
            # each of its vendor orders once); posting_key also holds across events.
            models.UniqueConstraint(
                fields=["source_event_id", "vendor_order_id"], name="ledger_posting_event_once"
            ),
            models.CheckConstraint(
                condition=Q(gross_minor=F("commission_minor") + F("earnings_minor")),
                name="ledger_posting_balanced",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="sale",
                        gross_minor__gte=0,
                        commission_minor__gte=0,
                        earnings_minor__gte=0,
                    )
                    | Q(
                        kind="refund",
                        gross_minor__lt=0,
                        commission_minor__lte=0,
                        earnings_minor__lte=0,
                    )
                ),
                name="ledger_posting_sign",
            ),
            models.CheckConstraint(
                condition=Q(commission_rate_bp__lte=10_000), name="ledger_posting_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.gross_minor} {self.currency} vendor order {self.vendor_order_id}"


class Entry(AppendOnlyModel):
    """One line of a posting. Vendor, currency and time are copied from the posting so
    balances and totals are one indexed aggregate."""

    posting = models.ForeignKey(Posting, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    account = models.CharField(max_length=16, choices=Account.choices)
    amount_minor = models.BigIntegerField()
    vendor_id = models.UUIDField()
    currency = models.CharField(max_length=3)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["posting", "id"]
        verbose_name_plural = "entries"
        indexes = [
            models.Index(fields=["vendor_id", "kind", "currency"], name="ledger_entry_vendor_kind"),
            models.Index(fields=["kind", "occurred_at"], name="ledger_entry_kind_time"),
        ]
        constraints = [
            # The idempotency key: one entry of each kind per fact (sale or refund).
            models.UniqueConstraint(fields=["posting", "kind"], name="ledger_entry_one_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_minor} {self.currency}"
