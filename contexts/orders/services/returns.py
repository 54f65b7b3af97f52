"""Returns after delivery: the customer asks per line with a reason, the vendor decides.

Approving refunds through the payments context (partial or full, never more than the
returned lines are worth nor what remains refundable on the vendor order) and may put
the units back in stock. Lines already returned or waiting in an open request cannot
be requested twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from bazaar_platform.events import publish
from contexts.orders.events import ReturnApproved, ReturnRejected, ReturnRequested
from contexts.orders.models import (
    CustomerOrder,
    OrderLine,
    RefundReason,
    ReturnLine,
    ReturnRequest,
    ReturnStatus,
    VendorOrder,
    VendorOrderStatus,
)
from contexts.orders.services.payloads import line_dict, vendor_order_fields
from contexts.orders.services.refunds import refund_hold, refunds_send_pending
from contexts.vendors import facade as vendors


@dataclass(frozen=True)
class ReturnLineInput:
    line_id: UUID
    quantity: int


def _reason(value: object, field: str = "reason") -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 1000:
        raise ApplicationError(
            "A reason of 1 to 1000 characters is required.",
            code="validation_error",
            fields={field: ["1 to 1000 characters."]},
        )
    return value.strip()


def _event_fields(ret: ReturnRequest) -> dict[str, Any]:
    return {
        **vendor_order_fields(ret.vendor_order),
        "lines": [
            line_dict(rl.order_line, quantity=rl.quantity)
            for rl in ret.lines.select_related("order_line").order_by("order_line_id")
        ],
        "return_id": ret.pk,
        "reason": ret.reason,
    }


def _pending_quantity(line: OrderLine) -> int:
    total = ReturnLine.objects.filter(
        order_line=line, return_request__status=ReturnStatus.REQUESTED
    ).aggregate(n=Sum("quantity"))["n"]
    return int(total or 0)


def return_request(
    *,
    customer_user_id: UUID,
    vendor_order_id: UUID,
    lines: Sequence[ReturnLineInput],
    reason: str,
) -> ReturnRequest:
    reason = _reason(reason)
    if not lines:
        raise ApplicationError("Name at least one line to return.", code="validation_error")
    if len({line.line_id for line in lines}) != len(lines):
        raise ApplicationError("Each line may appear once.", code="validation_error")
    with transaction.atomic():
        order_id = (
            VendorOrder.objects.filter(pk=vendor_order_id, customer_user_id=customer_user_id)
            .values_list("order_id", flat=True)
            .first()
        )
        if order_id is None:
            raise NotFoundError("There is no such vendor order.")
        CustomerOrder.objects.select_for_update().filter(pk=order_id).first()
        vendor_order = VendorOrder.objects.select_for_update().get(pk=vendor_order_id)
        if vendor_order.status != VendorOrderStatus.DELIVERED:
            raise ConflictError(
                "Only delivered orders can be returned.",
                code="not_delivered",
                extra={"current": vendor_order.status},
            )
        order_lines = {line.pk: line for line in vendor_order.lines.all()}
        ret = ReturnRequest.objects.create(
            vendor_order=vendor_order,
            customer_user_id=customer_user_id,
            vendor_id=vendor_order.vendor_id,
            reason=reason,
        )
        for wanted in lines:
            line = order_lines.get(wanted.line_id)
            if line is None:
                raise NotFoundError(
                    "A line is not part of this vendor order.", code="line_not_found"
                )
            returnable = line.quantity - line.returned_quantity - _pending_quantity(line)
            if (
                isinstance(wanted.quantity, bool)
                or not isinstance(wanted.quantity, int)
                or not 0 < wanted.quantity <= returnable
            ):
                raise ApplicationError(
                    f"Between 1 and {returnable} units of this line can be returned.",
                    code="invalid_quantity",
                    extra={"line_id": str(line.pk), "returnable": returnable},
                )
            ReturnLine.objects.create(return_request=ret, order_line=line, quantity=wanted.quantity)
        publish(ReturnRequested(**_event_fields(ret)))
    return ret


def _locked_return(vendor_id: UUID, return_id: UUID) -> ReturnRequest:
    """The vendor's own return, locked after its order and vendor order (the order of
    locks every writer of orders follows)."""
    ids = (
        ReturnRequest.objects.filter(pk=return_id, vendor_id=vendor_id)
        .values_list("vendor_order__order_id", "vendor_order_id")
        .first()
    )
    if ids is None:
        raise NotFoundError("There is no such return.")
    CustomerOrder.objects.select_for_update().filter(pk=ids[0]).first()
    VendorOrder.objects.select_for_update().filter(pk=ids[1]).first()
    ret = ReturnRequest.objects.select_for_update().select_related("vendor_order").get(pk=return_id)
    if ret.status != ReturnStatus.REQUESTED:
        raise ConflictError(f"This return was already {ret.status}.", code="already_decided")
    return ret


def return_approve(
    *,
    vendor_id: UUID,
    return_id: UUID,
    refund_amount_minor: int | None = None,
    restock: bool = False,
) -> ReturnRequest:
    """Approve a return; refund ``refund_amount_minor`` (default: the returned lines'
    full price), never more than the lines are worth or than remains refundable."""
    with transaction.atomic():
        ret = _locked_return(vendor_id, return_id)
        vendor_order = VendorOrder.objects.select_for_update().get(pk=ret.vendor_order_id)
        return_lines = list(ret.lines.select_related("order_line"))
        worth = sum(rl.order_line.unit_price_minor * rl.quantity for rl in return_lines)
        amount = worth if refund_amount_minor is None else refund_amount_minor
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ApplicationError(
                "A refund amount must be a whole number >= 0.", code="invalid_amount"
            )
        if amount > worth:
            raise ApplicationError(
                f"The returned lines are worth {worth}; the refund cannot exceed it.",
                code="refund_exceeds_paid",
                status_code=422,
                extra={"max_refund_minor": worth},
            )
        refund_ids: list[UUID] = []
        if amount > 0:
            refund_ids.append(
                refund_hold(
                    vendor_order=vendor_order,
                    amount_minor=amount,
                    reason=RefundReason.RETURN,
                    key=f"return-{ret.pk}",
                    return_request=ret,
                ).pk
            )
        for rl in return_lines:
            OrderLine.objects.filter(pk=rl.order_line_id).update(
                returned_quantity=F("returned_quantity") + rl.quantity
            )
            if restock:
                vendors.stock_return(
                    listing_id=rl.order_line.listing_id,
                    quantity=rl.quantity,
                    reference=f"return-{ret.pk}",
                )
        ret.status = ReturnStatus.APPROVED
        ret.refund_amount_minor = amount
        ret.restock = restock
        ret.decided_at = timezone.now()
        ret.save(update_fields=["status", "refund_amount_minor", "restock", "decided_at"])
        publish(
            ReturnApproved(
                **_event_fields(ret),
                refund_amount_minor=amount,
                restock=restock,
            )
        )
    refunds_send_pending(refund_ids=refund_ids)
    return ret


def return_reject(*, vendor_id: UUID, return_id: UUID, reason: str) -> ReturnRequest:
    rejection = _reason(reason)
    with transaction.atomic():
        ret = _locked_return(vendor_id, return_id)
        ret.status = ReturnStatus.REJECTED
        ret.rejection_reason = rejection
        ret.decided_at = timezone.now()
        ret.save(update_fields=["status", "rejection_reason", "decided_at"])
        publish(ReturnRejected(**_event_fields(ret), rejection_reason=rejection))
    return ret
