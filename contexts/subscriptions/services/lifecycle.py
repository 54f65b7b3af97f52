"""A subscription's life: pending_payment -> active -> past_due -> expired / cancelled.

Time-driven moves (renewal charges, period roll-over, grace expiry) are in
``billing.py``; plan changes in ``changes.py``. Every state change publishes its
event in the same transaction (outbox).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone

from bazaar_platform.api.errors import ConflictError, NotFoundError
from bazaar_platform.events import publish
from contexts.subscriptions.events import (
    PlanChanged,
    SubscriptionActivated,
    SubscriptionCancelled,
)
from contexts.subscriptions.models import (
    Charge,
    ChargeKind,
    ChargeStatus,
    Subscription,
    SubscriptionStatus,
)
from contexts.subscriptions.selectors import subscription_live_for_vendor
from contexts.subscriptions.services.periods import period_end
from contexts.subscriptions.services.plans import plan_quote

log = structlog.get_logger("bazaar.subscriptions")


class SubscriptionNotActiveError(ConflictError):
    code = "subscription_not_active"


def _lock(subscription_id: UUID) -> Subscription:
    sub = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("plan", "scheduled_plan")
        .filter(pk=subscription_id)
        .first()
    )
    if sub is None:
        raise NotFoundError("No such subscription.")
    return sub


def _activated(sub: Subscription, *, reactivated: bool) -> None:
    publish(
        SubscriptionActivated(
            subscription_id=sub.pk,
            vendor_id=sub.vendor_id,
            plan_code=sub.plan.code,
            current_period_end=sub.current_period_end,
            reactivated=reactivated,
        )
    )


def subscription_create(
    *,
    vendor_id: UUID,
    plan_code: str,
    currency: str,
    billing_email: str,
    billing_user_id: UUID | None = None,
    idempotency_key: str | None = None,
    complimentary: bool = False,
    now: datetime | None = None,
) -> Subscription:
    """Subscribe ``vendor_id`` to a plan, priced in ``currency``.

    ``complimentary``: the first period is free (staff grants, demo data); renewals
    are billed at the plan's price as usual.

    A free plan, or a plan with trial days, is active at once (``subscription_activated``);
    a paid plan starts ``pending_payment`` with an open initial charge, paid through
    :func:`contexts.subscriptions.services.billing.subscription_checkout`. The same
    ``idempotency_key`` returns the subscription it created the first time.
    """
    now = now or timezone.now()
    if idempotency_key:
        existing = Subscription.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.vendor_id != vendor_id or existing.plan.code != plan_code:
                raise ConflictError(
                    "This idempotency key was used for another subscription.",
                    code="idempotency_key_reused",
                )
            return existing
    plan, amount = plan_quote(plan_code=plan_code, currency=currency)
    try:
        with transaction.atomic():
            if subscription_live_for_vendor(vendor_id=vendor_id) is not None:
                raise ConflictError(
                    "This vendor already has a subscription; change its plan instead.",
                    code="already_subscribed",
                )
            sub = Subscription(
                vendor_id=vendor_id,
                plan=plan,
                currency=currency,
                amount_minor=amount,
                billing_email=billing_email,
                billing_user_id=billing_user_id,
                idempotency_key=idempotency_key or None,
            )
            if amount == 0 or plan.trial_days or complimentary:
                sub.status = SubscriptionStatus.ACTIVE
                sub.activated_at = now
                sub.current_period_start = now
                if amount and plan.trial_days and not complimentary:
                    sub.trial_ends_at = now + timedelta(days=plan.trial_days)
                    sub.current_period_end = sub.trial_ends_at
                else:
                    sub.current_period_end = period_end(now, plan.billing_period)
                sub.save()
                _activated(sub, reactivated=False)
            else:
                sub.save()
                Charge.objects.create(
                    subscription=sub,
                    kind=ChargeKind.INITIAL,
                    amount_minor=amount,
                    currency=currency,
                    plan=plan,
                )
    except IntegrityError:
        # A concurrent call with the same key or for the same vendor won the race.
        if idempotency_key:
            existing = Subscription.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        raise ConflictError(
            "This vendor already has a subscription; change its plan instead.",
            code="already_subscribed",
        ) from None
    log.info("subscription_created", subscription_id=str(sub.pk), plan=plan.code, status=sub.status)
    return sub


def _void_open_charges(sub: Subscription, *, kinds: tuple[str, ...] | None = None) -> int:
    charges = Charge.objects.filter(subscription=sub, status=ChargeStatus.OPEN)
    if kinds is not None:
        charges = charges.filter(kind__in=kinds)
    return charges.update(status=ChargeStatus.VOID, updated_at=timezone.now())


def _cancel_now(sub: Subscription, *, reason: str, now: datetime) -> None:
    sub.status = SubscriptionStatus.CANCELLED
    sub.cancelled_at = now
    sub.cancel_at_period_end = False
    sub.scheduled_plan = None
    sub.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancel_at_period_end",
            "scheduled_plan",
            "updated_at",
        ]
    )
    _void_open_charges(sub)
    publish(
        SubscriptionCancelled(
            subscription_id=sub.pk, vendor_id=sub.vendor_id, plan_code=sub.plan.code, reason=reason
        )
    )


def subscription_cancel(
    *, subscription_id: UUID, reason: str = "vendor_request", now: datetime | None = None
) -> Subscription:
    """Cancel. Unpaid (pending or past due): at once. Active: at the end of the paid
    period, which the vendor keeps (no refund); :func:`subscription_resume` undoes it."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _lock(subscription_id)
        if not sub.is_live:
            raise SubscriptionNotActiveError(f"The subscription is already {sub.status}.")
        if sub.status in (SubscriptionStatus.PENDING_PAYMENT, SubscriptionStatus.PAST_DUE):
            _cancel_now(sub, reason=reason, now=now)
        elif not sub.cancel_at_period_end:
            sub.cancel_at_period_end = True
            sub.scheduled_plan = None
            sub.save(update_fields=["cancel_at_period_end", "scheduled_plan", "updated_at"])
            _void_open_charges(sub, kinds=(ChargeKind.RENEWAL, ChargeKind.UPGRADE))
    return sub


def subscription_resume(*, subscription_id: UUID) -> Subscription:
    """Undo a cancellation scheduled for the end of the period."""
    with transaction.atomic():
        sub = _lock(subscription_id)
        if sub.status != SubscriptionStatus.ACTIVE or not sub.cancel_at_period_end:
            raise ConflictError("No cancellation is scheduled.", code="nothing_to_resume")
        sub.cancel_at_period_end = False
        sub.save(update_fields=["cancel_at_period_end", "updated_at"])
    return sub


def subscription_abandon(
    *, subscription_id: UUID, reason: str = "abandoned", now: datetime | None = None
) -> bool:
    """Compensation for an onboarding that cannot finish: cancel a subscription that was
    never paid. Returns False (and changes nothing) if it is no longer pending."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _lock(subscription_id)
        if sub.status != SubscriptionStatus.PENDING_PAYMENT:
            return False
        _cancel_now(sub, reason=reason, now=now)
    return True


# --- reactions to payments --------------------------------------------------------------------
def _apply_initial(sub: Subscription, charge: Charge, *, now: datetime) -> None:
    if sub.status != SubscriptionStatus.PENDING_PAYMENT:
        log.warning(
            "initial_charge_paid_on_non_pending_subscription",
            subscription_id=str(sub.pk),
            status=sub.status,
        )
        return
    sub.status = SubscriptionStatus.ACTIVE
    sub.activated_at = now
    sub.current_period_start = now
    sub.current_period_end = period_end(now, sub.plan.billing_period)
    sub.save(
        update_fields=[
            "status",
            "activated_at",
            "current_period_start",
            "current_period_end",
            "updated_at",
        ]
    )
    _activated(sub, reactivated=False)


def _apply_renewal_now(sub: Subscription, charge: Charge) -> None:
    """Move into the period a paid renewal charge covers (at roll-over, or at once when
    the payment ends a grace period)."""
    assert charge.period_start is not None
    assert charge.period_end is not None
    old_plan = sub.plan
    sub.current_period_start = charge.period_start
    sub.current_period_end = charge.period_end
    sub.grace_until = None
    sub.plan = charge.plan
    sub.amount_minor = charge.amount_minor
    sub.scheduled_plan = None
    sub.trial_ends_at = None
    sub.save(
        update_fields=[
            "current_period_start",
            "current_period_end",
            "grace_until",
            "plan",
            "amount_minor",
            "scheduled_plan",
            "trial_ends_at",
            "updated_at",
        ]
    )
    if old_plan.pk != charge.plan_id:
        publish(
            PlanChanged(
                subscription_id=sub.pk,
                vendor_id=sub.vendor_id,
                old_plan_code=old_plan.code,
                new_plan_code=charge.plan.code,
                direction="downgrade",
            )
        )


def _apply_upgrade(sub: Subscription, charge: Charge, *, now: datetime) -> None:
    if sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE):
        log.warning("upgrade_paid_on_inactive_subscription", subscription_id=str(sub.pk))
        return
    old_plan = sub.plan
    new_plan = charge.plan
    price = new_plan.prices.filter(currency=sub.currency).first()
    sub.plan = new_plan
    sub.amount_minor = price.amount_minor if price is not None else sub.amount_minor
    sub.scheduled_plan = None
    fields = ["plan", "amount_minor", "scheduled_plan", "updated_at"]
    if old_plan.billing_period != new_plan.billing_period:
        sub.current_period_start = now
        sub.current_period_end = period_end(now, new_plan.billing_period)
        fields += ["current_period_start", "current_period_end"]
    sub.save(update_fields=fields)
    # A renewal priced at the old plan is void; the billing run bills the new price.
    _void_open_charges(sub, kinds=(ChargeKind.RENEWAL,))
    publish(
        PlanChanged(
            subscription_id=sub.pk,
            vendor_id=sub.vendor_id,
            old_plan_code=old_plan.code,
            new_plan_code=new_plan.code,
            direction="upgrade",
        )
    )


def charge_paid(
    *,
    charge_id: UUID,
    payment_id: UUID,
    amount_minor: int,
    currency: str,
    now: datetime | None = None,
) -> str:
    """The payments context says ``payment_id`` for charge ``charge_id`` succeeded.

    Idempotent and order-tolerant: an unknown charge, a charge already paid, or a
    payment whose amount or currency does not match the charge changes nothing. Returns
    what happened (``applied``, ``unknown_charge``, ``already_paid``, ``mismatch``,
    ``void_charge``) for the caller's log.
    """
    now = now or timezone.now()
    with transaction.atomic():
        charge = (
            Charge.objects.select_for_update(of=("self",))
            .select_related("plan")
            .filter(pk=charge_id)
            .first()
        )
        if charge is None:
            log.warning("payment_for_unknown_charge", charge_id=str(charge_id))
            return "unknown_charge"
        if charge.status == ChargeStatus.PAID:
            if charge.paid_payment_id != payment_id:
                log.error(
                    "charge_paid_twice",
                    charge_id=str(charge.pk),
                    payment_id=str(payment_id),
                    first_payment_id=str(charge.paid_payment_id),
                )
            return "already_paid"
        if charge.status == ChargeStatus.VOID:
            log.error(
                "payment_for_void_charge", charge_id=str(charge.pk), payment_id=str(payment_id)
            )
            return "void_charge"
        if amount_minor != charge.amount_minor or currency != charge.currency:
            log.error(
                "payment_amount_mismatch",
                charge_id=str(charge.pk),
                expected=f"{charge.amount_minor} {charge.currency}",
                received=f"{amount_minor} {currency}",
            )
            return "mismatch"
        sub = _lock(charge.subscription_id)
        charge.status = ChargeStatus.PAID
        charge.paid_payment_id = payment_id
        charge.paid_at = now
        charge.payment_failed = False
        charge.save(
            update_fields=["status", "paid_payment_id", "paid_at", "payment_failed", "updated_at"]
        )
        if charge.kind == ChargeKind.INITIAL:
            _apply_initial(sub, charge, now=now)
        elif charge.kind == ChargeKind.UPGRADE:
            _apply_upgrade(sub, charge, now=now)
        elif sub.status == SubscriptionStatus.PAST_DUE:
            _apply_renewal_now(sub, charge)
            sub.status = SubscriptionStatus.ACTIVE
            sub.save(update_fields=["status", "updated_at"])
            _activated(sub, reactivated=True)
        # An active subscription's paid renewal takes effect at roll-over (billing.py).
    return "applied"


def charge_payment_failed(*, charge_id: UUID, payment_id: UUID, reason: str) -> str:
    """A payment for ``charge_id`` failed. Only the charge's current payment link counts:
    a failure reported after success, or for a superseded link, changes nothing. The
    subscription's state is left to time (grace period, expiry)."""
    with transaction.atomic():
        charge = Charge.objects.select_for_update(of=("self",)).filter(pk=charge_id).first()
        if charge is None:
            log.warning("payment_failure_for_unknown_charge", charge_id=str(charge_id))
            return "unknown_charge"
        if charge.status != ChargeStatus.OPEN:
            return "not_open"
        if charge.payment_id != payment_id:
            return "stale_payment"
        charge.payment_failed = True
        charge.failure_reason = reason[:200]
        charge.save(update_fields=["payment_failed", "failure_reason", "updated_at"])
    return "recorded"
