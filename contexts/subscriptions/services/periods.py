"""Billing periods and proration arithmetic (pure functions, unit-tested)."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from contexts.subscriptions.models import BillingPeriod


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months; the day is clamped (31 Jan + 1 = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_end(start: datetime, billing_period: str) -> datetime:
    if billing_period == BillingPeriod.YEAR:
        return add_months(start, 12)
    if billing_period == BillingPeriod.MONTH:
        return add_months(start, 1)
    raise ValueError(f"unknown billing period {billing_period!r}")


def nominal_days(billing_period: str) -> float:
    """Length used to compare prices of plans with different periods."""
    return 365.0 if billing_period == BillingPeriod.YEAR else 365.0 / 12


def is_upgrade(*, old_amount: int, old_period: str, new_amount: int, new_period: str) -> bool:
    """An upgrade costs at least as much per day as the current plan."""
    return new_amount / nominal_days(new_period) >= old_amount / nominal_days(old_period)


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def upgrade_charge(
    *,
    old_amount: int,
    new_amount: int,
    period_start: datetime,
    period_end: datetime,
    now: datetime,
    same_period: bool,
) -> int:
    """What an immediate upgrade costs, in minor units (see README, "Proration").

    Same billing period: the price difference for the time left, rounded up to the
    minor unit; the period does not change. Different billing period: the new plan's
    full price minus the unused part of the current period (rounded down), never below
    zero; a new period starts when it is paid.
    """
    total = max(1, int((period_end - period_start).total_seconds()))
    left = max(0, min(total, int((period_end - now).total_seconds())))
    if same_period:
        return max(0, _ceil_div((new_amount - old_amount) * left, total))
    credit = (old_amount * left) // total
    return max(0, new_amount - credit)


def grace_end(period_end_: datetime, grace_days: int) -> datetime:
    return period_end_ + timedelta(days=grace_days)
