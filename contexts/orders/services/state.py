"""The state machines of customer orders and vendor orders.

A transition not in the table is refused with 409 ``illegal_transition`` (shipping a
cancelled order, accepting an unpaid one); the error names the current state, the
wanted one and the states reachable from here, so a client can tell why.
"""

from __future__ import annotations

from bazaar_platform.api.errors import ConflictError
from contexts.orders.models import OrderStatus, VendorOrderStatus

S = OrderStatus
V = VendorOrderStatus

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.COMPLETED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}

VENDOR_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    V.PENDING_PAYMENT: frozenset({V.PAID, V.CANCELLED}),
    V.PAID: frozenset({V.ACCEPTED, V.CANCELLED}),
    V.ACCEPTED: frozenset({V.PACKED, V.CANCELLED}),
    V.PACKED: frozenset({V.SHIPPED, V.CANCELLED}),
    V.SHIPPED: frozenset({V.DELIVERED}),
    V.DELIVERED: frozenset(),
    V.CANCELLED: frozenset(),
}

# Vendor orders the customer may still cancel: nothing has left the warehouse.
CANCELLABLE = frozenset({V.PENDING_PAYMENT, V.PAID, V.ACCEPTED, V.PACKED})


class IllegalTransitionError(ConflictError):
    code = "illegal_transition"


def transition_check(*, kind: str, current: str, target: str) -> None:
    """Raise ``IllegalTransitionError`` unless ``current -> target`` is allowed for
    ``kind`` ("order" or "vendor_order")."""
    table = ORDER_TRANSITIONS if kind == "order" else VENDOR_ORDER_TRANSITIONS
    allowed = table.get(current, frozenset())
    if target not in allowed:
        raise IllegalTransitionError(
            f"A {kind.replace('_', ' ')} that is {current} cannot become {target}.",
            extra={"current": current, "target": target, "allowed": sorted(allowed)},
        )
