"""Reads of the subscriptions context."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db.models import Prefetch, QuerySet

from contexts.subscriptions.models import (
    LIVE_STATUSES,
    Charge,
    ChargeStatus,
    Plan,
    PlanPrice,
    Subscription,
    SubscriptionStatus,
    VendorUsage,
)


def plan_list(*, include_inactive: bool = False) -> QuerySet[Plan]:
    plans = Plan.objects.prefetch_related(
        Prefetch("prices", queryset=PlanPrice.objects.order_by("currency"))
    )
    return plans if include_inactive else plans.filter(is_active=True)


def plan_get(*, code: str) -> Plan | None:
    return plan_list(include_inactive=True).filter(code=code).first()


def plan_price(*, plan: Plan, currency: str) -> PlanPrice | None:
    return next((p for p in plan.prices.all() if p.currency == currency), None)


def subscription_get(*, subscription_id: UUID) -> Subscription | None:
    return (
        Subscription.objects.select_related("plan", "scheduled_plan")
        .filter(pk=subscription_id)
        .first()
    )


def subscription_live_for_vendor(*, vendor_id: UUID) -> Subscription | None:
    """The vendor's pending, active or past-due subscription (there is at most one)."""
    return (
        Subscription.objects.select_related("plan", "scheduled_plan")
        .filter(vendor_id=vendor_id, status__in=LIVE_STATUSES)
        .first()
    )


def subscription_latest_for_vendor(*, vendor_id: UUID) -> Subscription | None:
    return (
        subscription_live_for_vendor(vendor_id=vendor_id)
        or Subscription.objects.select_related("plan", "scheduled_plan")
        .filter(vendor_id=vendor_id)
        .order_by("-created_at")
        .first()
    )


def subscription_list_for_vendor(*, vendor_id: UUID) -> QuerySet[Subscription]:
    return Subscription.objects.select_related("plan", "scheduled_plan").filter(vendor_id=vendor_id)


def charge_get(*, charge_id: UUID) -> Charge | None:
    return Charge.objects.select_related("subscription", "plan").filter(pk=charge_id).first()


def charge_list_for_subscription(*, subscription_id: UUID) -> QuerySet[Charge]:
    return Charge.objects.select_related("plan").filter(subscription_id=subscription_id)


def charge_open(*, subscription_id: UUID, kind: str | None = None) -> Charge | None:
    charges = Charge.objects.select_related("plan").filter(
        subscription_id=subscription_id, status=ChargeStatus.OPEN
    )
    if kind is not None:
        charges = charges.filter(kind=kind)
    return charges.order_by("created_at").first()


def usage_for_vendor(*, vendor_id: UUID) -> dict[str, int]:
    return dict(VendorUsage.objects.filter(vendor_id=vendor_id).values_list("resource", "count"))


def subscriptions_due_for_renewal(*, before: datetime) -> QuerySet[Subscription]:
    """Active or past-due subscriptions whose period ends before ``before`` (renewal time)."""
    return Subscription.objects.filter(
        status__in=(SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE),
        current_period_end__lt=before,
        cancel_at_period_end=False,
    ).order_by("current_period_end")


def subscriptions_past_due_expired(*, now: datetime) -> QuerySet[Subscription]:
    return Subscription.objects.filter(
        status=SubscriptionStatus.PAST_DUE, grace_until__lte=now
    ).order_by("grace_until")
