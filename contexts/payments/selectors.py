"""Reads of the payments context."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from contexts.auth.facade import user_profile
from contexts.payments.models import Payment


def payment_get(*, payment_id: UUID) -> Payment | None:
    return Payment.objects.filter(pk=payment_id).first()


def payment_list_for_reference(*, purpose: str, reference_id: UUID) -> QuerySet[Payment]:
    return Payment.objects.filter(purpose=purpose, reference_id=reference_id).order_by("created_at")


def payment_get_for_viewer(*, payment_id: UUID, user_id: UUID, is_admin: bool) -> Payment | None:
    """The payment if ``user_id`` may see it, else ``None`` (the API answers 404 either way).

    The payer may: the user id stored at creation, or an account whose *verified*
    e-mail address is the payer e-mail (an unverified address proves nothing: anyone
    could register someone else's). Staff (the admin role) may see every payment.
    """
    payment = Payment.objects.prefetch_related("refunds").filter(pk=payment_id).first()
    if payment is None or is_admin:
        return payment
    if payment.payer_user_id is not None and payment.payer_user_id == user_id:
        return payment
    profile = user_profile(user_id=user_id)
    if (
        profile is not None
        and profile.email_verified
        and profile.email.strip().lower() == payment.payer_email.strip().lower()
    ):
        return payment
    return None
