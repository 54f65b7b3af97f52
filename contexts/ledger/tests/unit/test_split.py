"""The money split: exact integer sums, half-up commission, refunds never over-reverse."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contexts.ledger.services.split import Split, split_refund, split_sale

pytestmark = pytest.mark.unit

amounts = st.integers(min_value=0, max_value=1_000_000_000)
rates = st.integers(min_value=0, max_value=10_000)


@pytest.mark.parametrize(
    ("gross", "rate", "commission"),
    [
        (10_000, 1_000, 1_000),  # 10 % of 100.00
        (5, 1_000, 1),  # 0.5 cent rounds half up to the platform
        (4, 1_000, 0),  # 0.4 cent rounds down
        (15, 1_000, 2),  # 1.5 -> 2
        (1, 5_000, 1),  # exactly half
        (999, 0, 0),
        (999, 10_000, 999),
        (0, 1_500, 0),
    ],
)
def test_commission_rounds_half_up_and_the_vendor_gets_the_rest(gross, rate, commission):
    split = split_sale(gross_minor=gross, rate_bp=rate)
    assert split == Split(gross, commission, gross - commission)


@given(gross=amounts, rate=rates)
def test_commission_plus_earnings_is_the_gross_for_any_amount_and_rate(gross, rate):
    split = split_sale(gross_minor=gross, rate_bp=rate)
    assert split.commission_minor + split.earnings_minor == split.gross_minor == gross
    assert 0 <= split.commission_minor <= gross
    assert abs(split.commission_minor * 10_000 - gross * rate) <= 5_000  # within half a unit


@pytest.mark.parametrize(("gross", "rate"), [(-1, 1_000), (100, -1), (100, 10_001)])
def test_nonsense_sales_are_refused(gross, rate):
    with pytest.raises(ValueError, match=r"cannot be negative|basis points"):
        split_sale(gross_minor=gross, rate_bp=rate)


@given(
    gross=st.integers(min_value=1, max_value=10_000_000),
    rate=rates,
    refunds=st.lists(st.integers(min_value=1, max_value=20_000_000), min_size=1, max_size=12),
)
def test_cumulative_refunds_never_reverse_more_than_was_posted(gross, rate, refunds):
    sale = split_sale(gross_minor=gross, rate_bp=rate)
    refunded = commission = earnings = 0
    for asked in refunds:
        step = split_refund(sale=sale, refunded_before_minor=refunded, amount_minor=asked)
        assert step.gross_minor == min(asked, gross - refunded)
        assert step.commission_minor + step.earnings_minor == step.gross_minor
        assert step.commission_minor >= 0
        assert step.earnings_minor >= 0
        refunded += step.gross_minor
        commission += step.commission_minor
        earnings += step.earnings_minor
        assert refunded <= sale.gross_minor
        assert commission <= sale.commission_minor
        assert earnings <= sale.earnings_minor
    if refunded == gross:  # a full refund, in any number of steps, undoes the sale exactly
        assert (commission, earnings) == (sale.commission_minor, sale.earnings_minor)


def test_partial_refunds_reverse_commission_pro_rata_without_drift():
    sale = split_sale(gross_minor=1_000, rate_bp=1_500)  # commission 150
    steps = []
    refunded = 0
    for _ in range(3):
        step = split_refund(sale=sale, refunded_before_minor=refunded, amount_minor=333)
        steps.append((step.gross_minor, step.commission_minor))
        refunded += step.gross_minor
    last = split_refund(sale=sale, refunded_before_minor=refunded, amount_minor=500)
    # 150 * 333 / 1000 = 49.95 -> 50; 99.9 -> 100 (so 50); 149.85 -> 150 (so 50); rest 0.
    assert steps == [(333, 50), (333, 50), (333, 50)]
    assert (last.gross_minor, last.commission_minor, last.earnings_minor) == (1, 0, 1)


def test_a_refund_of_what_is_already_refunded_reverses_nothing():
    sale = split_sale(gross_minor=500, rate_bp=1_000)
    assert split_refund(sale=sale, refunded_before_minor=500, amount_minor=10) == Split(0, 0, 0)
    with pytest.raises(ValueError, match="positive"):
        split_refund(sale=sale, refunded_before_minor=0, amount_minor=0)
    with pytest.raises(ValueError, match="outside"):
        split_refund(sale=sale, refunded_before_minor=501, amount_minor=1)
