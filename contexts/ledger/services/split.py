"""How a vendor order's money is split between the platform and the vendor.

Pure integer arithmetic on minor units; no floats, no database.

**Sale.** ``commission = round_half_up(gross * rate_bp / 10 000)`` and the vendor gets the
rest, ``earnings = gross - commission``, so the two always add up to the gross exactly.
Half a minor unit of commission goes to the platform (10 % of 5 cents is 1 cent, not 0).

**Refund.** Reversals are computed on the *cumulative* amount refunded so far, so rounding
never drifts over many partial refunds::

    commission_reversed_total(R) = round_half_up(commission * R / gross)
    this refund's commission    = commission_reversed_total(R_before + amount)
                                  - commission_reversed_total(R_before)
    this refund's earnings      = amount - this refund's commission

A refund is capped at what is left of the gross (``gross - R_before``): the ledger never
reverses more than was posted. Refunding the whole gross, in any number of steps, reverses
exactly the commission and the earnings that were posted; both totals only grow.
"""

from __future__ import annotations

from dataclasses import dataclass

BASIS_POINTS = 10_000


@dataclass(frozen=True)
class Split:
    """Magnitudes (never negative): ``gross == commission + earnings``."""

    gross_minor: int
    commission_minor: int
    earnings_minor: int


def _round_half_up_ratio(numerator: int, denominator: int) -> int:
    """``round(numerator / denominator)`` with halves going up, for non-negative ints."""
    return (2 * numerator + denominator) // (2 * denominator)


def split_sale(*, gross_minor: int, rate_bp: int) -> Split:
    """Split a paid vendor order's gross at ``rate_bp`` basis points of commission."""
    if gross_minor < 0:
        raise ValueError(f"a sale's gross cannot be negative ({gross_minor})")
    if not 0 <= rate_bp <= BASIS_POINTS:
        raise ValueError(f"a commission rate is 0..{BASIS_POINTS} basis points ({rate_bp})")
    commission = _round_half_up_ratio(gross_minor * rate_bp, BASIS_POINTS)
    return Split(
        gross_minor=gross_minor,
        commission_minor=commission,
        earnings_minor=gross_minor - commission,
    )


def split_refund(*, sale: Split, refunded_before_minor: int, amount_minor: int) -> Split:
    """The reversal of refunding ``amount_minor`` more of ``sale`` after
    ``refunded_before_minor`` was refunded already; capped at what is left (so the
    result may be smaller than asked, or zero)."""
    if amount_minor <= 0:
        raise ValueError(f"a refund is a positive amount ({amount_minor})")
    if not 0 <= refunded_before_minor <= sale.gross_minor:
        raise ValueError(
            f"refunded so far {refunded_before_minor} is outside 0..{sale.gross_minor}"
        )
    amount = min(amount_minor, sale.gross_minor - refunded_before_minor)
    if amount == 0:
        return Split(gross_minor=0, commission_minor=0, earnings_minor=0)
    before = _round_half_up_ratio(sale.commission_minor * refunded_before_minor, sale.gross_minor)
    after = _round_half_up_ratio(
        sale.commission_minor * (refunded_before_minor + amount), sale.gross_minor
    )
    commission = after - before
    return Split(
        gross_minor=amount, commission_minor=commission, earnings_minor=amount - commission
    )
