"""The order and vendor-order state machines (no database)."""

from __future__ import annotations

import pytest

from contexts.orders.services.state import (
    ORDER_TRANSITIONS,
    VENDOR_ORDER_TRANSITIONS,
    IllegalTransitionError,
    transition_check,
)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("pending_payment", "paid"),
        ("paid", "accepted"),
        ("accepted", "packed"),
        ("packed", "shipped"),
        ("shipped", "delivered"),
        ("packed", "cancelled"),
    ],
)
def test_the_fulfilment_path_is_allowed(current: str, target: str) -> None:
    transition_check(kind="vendor_order", current=current, target=target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("cancelled", "shipped"),
        ("pending_payment", "accepted"),
        ("paid", "shipped"),
        ("shipped", "cancelled"),
        ("delivered", "cancelled"),
        ("delivered", "shipped"),
    ],
)
def test_illegal_vendor_order_moves_are_409_with_what_is_allowed(current: str, target: str) -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        transition_check(kind="vendor_order", current=current, target=target)
    assert caught.value.status_code == 409
    assert caught.value.code == "illegal_transition"
    assert caught.value.extra["allowed"] == sorted(VENDOR_ORDER_TRANSITIONS[current])


def test_final_states_are_final() -> None:
    assert ORDER_TRANSITIONS["cancelled"] == frozenset()
    assert ORDER_TRANSITIONS["completed"] == frozenset()
    assert VENDOR_ORDER_TRANSITIONS["delivered"] == frozenset()
    with pytest.raises(IllegalTransitionError):
        transition_check(kind="order", current="cancelled", target="paid")
