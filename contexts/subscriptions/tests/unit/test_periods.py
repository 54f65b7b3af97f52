"""Billing periods and proration arithmetic (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contexts.subscriptions.services.periods import (
    add_months,
    is_upgrade,
    period_end,
    upgrade_charge,
)

pytestmark = pytest.mark.unit


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (at(2026, 1, 31), 1, at(2026, 2, 28)),
        (at(2028, 1, 31), 1, at(2028, 2, 29)),
        (at(2026, 12, 15), 1, at(2027, 1, 15)),
        (at(2026, 3, 31), 12, at(2027, 3, 31)),
        (at(2024, 2, 29), 12, at(2025, 2, 28)),
    ],
)
def test_add_months_clamps_the_day(start, months, end):
    assert add_months(start, months) == end


def test_period_end_by_billing_period():
    assert period_end(at(2026, 5, 10), "month") == at(2026, 6, 10)
    assert period_end(at(2026, 5, 10), "year") == at(2027, 5, 10)
    with pytest.raises(ValueError, match="unknown billing period"):
        period_end(at(2026, 5, 10), "fortnight")


def test_upgrade_same_period_charges_the_difference_for_the_time_left_rounded_up():
    start, end = at(2026, 4, 1), at(2026, 5, 1)  # 30 days
    half = start + (end - start) / 2
    assert (
        upgrade_charge(
            old_amount=2900,
            new_amount=9900,
            period_start=start,
            period_end=end,
            now=half,
            same_period=True,
        )
        == 3500
    )
    one_third = start + (end - start) * 2 / 3
    # (9900 - 2900) / 3 = 2333.33.. -> 2334: never under-charged by rounding
    assert (
        upgrade_charge(
            old_amount=2900,
            new_amount=9900,
            period_start=start,
            period_end=end,
            now=one_third,
            same_period=True,
        )
        == 2334
    )
    assert (
        upgrade_charge(
            old_amount=2900,
            new_amount=9900,
            period_start=start,
            period_end=end,
            now=end,
            same_period=True,
        )
        == 0
    )
    assert (
        upgrade_charge(
            old_amount=0,
            new_amount=2900,
            period_start=start,
            period_end=end,
            now=start,
            same_period=True,
        )
        == 2900
    )


def test_upgrade_to_another_period_charges_the_new_price_less_unused_credit():
    start, end = at(2026, 4, 1), at(2026, 5, 1)
    half = start + (end - start) / 2
    assert (
        upgrade_charge(
            old_amount=2900,
            new_amount=29000,
            period_start=start,
            period_end=end,
            now=half,
            same_period=False,
        )
        == 29000 - 1450
    )
    assert (
        upgrade_charge(
            old_amount=99999,
            new_amount=100,
            period_start=start,
            period_end=end,
            now=start,
            same_period=False,
        )
        == 0
    )


def test_upgrade_or_downgrade_by_price_per_day():
    assert is_upgrade(old_amount=2900, old_period="month", new_amount=9900, new_period="month")
    assert not is_upgrade(old_amount=9900, old_period="month", new_amount=2900, new_period="month")
    assert is_upgrade(old_amount=0, old_period="month", new_amount=0, new_period="month")
    # 290/year is cheaper per day than 29/month
    assert not is_upgrade(old_amount=2900, old_period="month", new_amount=29000, new_period="year")
    assert is_upgrade(old_amount=2900, old_period="month", new_amount=40000, new_period="year")


@given(
    old=st.integers(min_value=0, max_value=10**9),
    new=st.integers(min_value=0, max_value=10**9),
    elapsed=st.floats(min_value=0, max_value=1),
)
def test_a_same_period_upgrade_never_costs_more_than_the_difference(old, new, elapsed):
    start = at(2026, 1, 1)
    end = start + timedelta(days=31)
    now = start + (end - start) * elapsed
    amount = upgrade_charge(
        old_amount=old,
        new_amount=new,
        period_start=start,
        period_end=end,
        now=now,
        same_period=True,
    )
    assert 0 <= amount <= max(0, new - old)
