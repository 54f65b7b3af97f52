"""Upgrades and downgrades (rules in README.md, "Plan changes and proration")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from bazaar_platform.api.errors import ConflictError
from bazaar_platform.events import publish
from contexts.subscriptions.events import PlanChanged
from contexts.subscriptions.models import (
    Charge,
    ChargeKind,
    ChargeStatus,
    Resource,
    SubscriptionStatus,
)
from contexts.subscriptions.selectors import usage_for_vendor
from contexts.subscriptions.services.lifecycle import SubscriptionNotActiveError, _lock
from contexts.subscriptions.services.periods import is_upgrade, period_end, upgrade_charge
from contexts.subscriptions.services.plans import plan_quote
from contexts.subscriptions.services.usage import PlanLimitReachedError


@dataclass(frozen=True)
class PlanChangeResult:
    direction: str  # "upgrade" | "downgrade" | "downgrade_cancelled"
    applied: bool  # True: in force now; False: waits for a payment or the period end
    charge_id: UUID | None
    amount_minor: int
    effective_at: datetime | None  # when it takes effect (None: when the charge is paid)


def subscription_change_plan(
    *, subscription_id: UUID, plan_code: str, now: datetime | None = None
) -> PlanChangeResult:
    """Move an active subscription to another plan.

    Upgrade (the new plan costs at least as much per day): immediate once its prorated
    charge is paid; at once when that charge is zero. Downgrade: at the end of the paid
    period, refused while the vendor uses more than the smaller plan allows. Choosing
    the current plan again cancels a scheduled downgrade.
    """
    now = now or timezone.now()
    with transaction.atomic():
        sub = _lock(subscription_id)
        if sub.status != SubscriptionStatus.ACTIVE:
            raise SubscriptionNotActiveError(
                f"Only an active subscription can change plan; this one is {sub.status}."
            )
        if sub.cancel_at_period_end:
            raise ConflictError(
                "A cancellation is scheduled; resume the subscription first.",
                code="cancellation_scheduled",
            )
        new_plan, new_amount = plan_quote(plan_code=plan_code, currency=sub.currency)
        if new_plan.pk == sub.plan_id:
            if sub.scheduled_plan_id is None:
                raise ConflictError(
                    f"The subscription is already on the {new_plan.name} plan.",
                    code="already_on_plan",
                )
            sub.scheduled_plan = None
            sub.save(update_fields=["scheduled_plan", "updated_at"])
            Charge.objects.filter(
                subscription=sub, kind=ChargeKind.RENEWAL, status=ChargeStatus.OPEN
            ).update(status=ChargeStatus.VOID, updated_at=now)
            return PlanChangeResult("downgrade_cancelled", True, None, 0, now)
        assert sub.current_period_start is not None
        assert sub.current_period_end is not None
        if not is_upgrade(
            old_amount=sub.amount_minor,
            old_period=sub.plan.billing_period,
            new_amount=new_amount,
            new_period=new_plan.billing_period,
        ):
            usage = usage_for_vendor(vendor_id=sub.vendor_id)
            for resource in (Resource.STORES, Resource.STAFF_SEATS, Resource.PRODUCTS):
                used = usage.get(resource.value, 0)
                allowed = new_plan.limit_of(resource)
                if used > allowed:
                    raise PlanLimitReachedError(
                        f"The {new_plan.name} plan allows {allowed} {resource.label.lower()} "
                        f"and you use {used}; remove some before downgrading.",
                        resource=resource.value,
                        limit=allowed,
                        used=used,
                        plan_code=new_plan.code,
                    )
            sub.scheduled_plan = new_plan
            sub.save(update_fields=["scheduled_plan", "updated_at"])
            # A renewal already billed at the old price is replaced by one at the new price.
            Charge.objects.filter(
                subscription=sub, kind=ChargeKind.RENEWAL, status=ChargeStatus.OPEN
            ).update(status=ChargeStatus.VOID, updated_at=now)
            return PlanChangeResult("downgrade", False, None, 0, sub.current_period_end)
        amount = upgrade_charge(
            old_amount=sub.amount_minor,
            new_amount=new_amount,
            period_start=sub.current_period_start,
            period_end=sub.current_period_end,
            now=now,
            same_period=new_plan.billing_period == sub.plan.billing_period,
        )
        Charge.objects.filter(
            subscription=sub, kind=ChargeKind.UPGRADE, status=ChargeStatus.OPEN
        ).update(status=ChargeStatus.VOID, updated_at=now)
        if amount == 0:
            old_plan = sub.plan
            sub.plan = new_plan
            sub.amount_minor = new_amount
            sub.scheduled_plan = None
            sub.trial_ends_at = None
            if old_plan.billing_period != new_plan.billing_period:
                sub.current_period_start = now
                sub.current_period_end = period_end(now, new_plan.billing_period)
            sub.save()
            Charge.objects.filter(
                subscription=sub, kind=ChargeKind.RENEWAL, status=ChargeStatus.OPEN
            ).update(status=ChargeStatus.VOID, updated_at=now)
            publish(
                PlanChanged(
                    subscription_id=sub.pk,
                    vendor_id=sub.vendor_id,
                    old_plan_code=old_plan.code,
                    new_plan_code=new_plan.code,
                    direction="upgrade",
                )
            )
            return PlanChangeResult("upgrade", True, None, 0, now)
        charge = Charge.objects.create(
            subscription=sub,
            kind=ChargeKind.UPGRADE,
            amount_minor=amount,
            currency=sub.currency,
            plan=new_plan,
        )
    return PlanChangeResult("upgrade", False, charge.pk, amount, None)
