"""Reads of the payments context."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from contexts.payments.models import Payment


def payment_get(*, payment_id: UUID) -> Payment | None:
    return Payment.objects.filter(pk=payment_id).first()


def payment_list_for_reference(*, purpose: str, reference_id: UUID) -> QuerySet[Payment]:
    return Payment.objects.filter(purpose=purpose, reference_id=reference_id).order_by(
        "created_at"
    )
