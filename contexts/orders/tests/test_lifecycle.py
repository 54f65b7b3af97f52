"""Payment outcomes, expiry, cancellation, fulfilment, returns and refunds, through the
real vendors stock and the sandbox gateway (signed webhooks into the payments context)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError, ConflictError
from bazaar_platform.events.models import OutboxMessage
from contexts.orders import facade
from contexts.orders.models import CustomerOrder, OrderRefund, VendorOrder
from contexts.orders.services import fulfilment, lifecycle, returns
from contexts.orders.services.state import IllegalTransitionError
from contexts.payments import facade as payments
from contexts.vendors import facade as vendors
from tests.support import orders as support

pytestmark = pytest.mark.django_db


def available(listing_id: UUID) -> int:
    return vendors.listings_get(listing_ids=[listing_id])[listing_id].available


def payloads(event_type: str) -> list[dict[str, Any]]:
    return [
        m.message["payload"]
        for m in OutboxMessage.objects.filter(event_type=event_type).order_by("id")
    ]


def _payment_of(order: CustomerOrder) -> UUID:
    assert order.payment_id is not None
    return order.payment_id


def paid_order(customer: UUID, lines: list[tuple[UUID, int]]) -> CustomerOrder:
    return support.pay_order(support.place_order(customer_user_id=customer, lines=lines))


def test_payment_confirms_the_order_and_commits_the_stock(
    customer: UUID, shop: support.Shop
) -> None:
    listing = support.make_listing(shop, stock=4, price_minor=1500)
    order = paid_order(customer, [(listing, 3)])
    assert order.status == "paid" and order.paid_at is not None
    assert set(order.vendor_orders.values_list("status", flat=True)) == {"paid"}
    assert available(listing) == 1
    (paid,) = payloads("orders.order_paid")
    vendor_order = order.vendor_orders.get()
    assert paid["payment_id"] == str(order.payment_id)
    assert paid["vendor_orders"] == [
        {
            "vendor_order_id": str(vendor_order.pk),
            "vendor_id": str(shop.vendor_id),
            "store_id": str(shop.store_id),
            "subtotal_minor": 4500,
        }
    ]
    assert paid["lines"][0]["quantity"] == 3 and paid["currency"] == "EUR"
    # the stock is sold: releasing the reference gives nothing back
    assert vendors.stock_release(reference=str(order.pk)) is False
    assert available(listing) == 1


def test_a_declined_payment_cancels_the_order_and_releases_the_stock(
    customer: UUID, shop: support.Shop
) -> None:
    listing = support.make_listing(shop, stock=2)
    order = support.place_order(customer_user_id=customer, lines=[(listing, 2)])
    assert available(listing) == 0
    support.sandbox_webhook(order, approve=False)
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "payment_failed")
    assert available(listing) == 2
    assert payloads("orders.order_cancelled")[0]["reason"] == "payment_failed"


def test_unpaid_orders_past_their_deadline_are_cancelled_by_the_beat_task(
    customer: UUID, shop: support.Shop
) -> None:
    listing = support.make_listing(shop, stock=2)
    late = support.place_order(customer_user_id=customer, lines=[(listing, 1)])
    fresh = support.place_order(customer_user_id=customer, lines=[(listing, 1)])
    CustomerOrder.objects.filter(pk=late.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with support.committed():
        assert lifecycle.orders_expire_unpaid() == 1
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert (late.status, late.cancel_reason, fresh.status) == (
        "cancelled",
        "expired",
        "pending_payment",
    )
    assert available(listing) == 1


def test_the_reservation_expiry_event_cancels_the_unpaid_order(
    customer: UUID, shop: support.Shop
) -> None:
    listing = support.make_listing(shop, stock=1)
    order = support.place_order(customer_user_id=customer, lines=[(listing, 1)])
    support.reservations_expire_at(timezone.now() + timedelta(days=1))
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "expired")
    assert available(listing) == 1


def test_a_payment_after_the_stock_was_sold_elsewhere_cancels_and_refunds(
    customer: UUID, shop: support.Shop
) -> None:
    listing = support.make_listing(shop, stock=1, price_minor=3000)
    slow = support.place_order(customer_user_id=customer, lines=[(listing, 1)])
    # The reservation lapses at the vendors side before our own deadline...
    CustomerOrder.objects.filter(pk=slow.pk).update(expires_at=timezone.now() + timedelta(days=2))
    support.reservations_expire_at(timezone.now() + timedelta(days=1))
    slow.refresh_from_db()
    assert slow.status == "cancelled"  # the expiry event cancelled it
    fast = paid_order(support.make_customer(), [(listing, 1)])
    assert fast.status == "paid" and available(listing) == 0
    # ...and the slow customer's money arrives anyway: it goes back, once.
    support.pay_order(slow)
    refund = OrderRefund.objects.get(vendor_order__order=slow)
    assert refund.amount_minor == 3000 and refund.issued_at is not None
    summary = payments.payment_get(payment_id=_payment_of(slow))
    assert summary is not None and summary.refunded_minor == 3000


def test_a_payment_whose_stock_commit_fails_is_paid_then_cancelled_and_refunded(
    customer: UUID, shop: support.Shop
) -> None:
    listing = support.make_listing(shop, stock=1, price_minor=3000)
    slow = support.place_order(customer_user_id=customer, lines=[(listing, 1)])
    # The reservation is gone (released at the vendors side) but the order still waits.
    vendors.stock_release(reference=str(slow.pk))
    paid_order(support.make_customer(), [(listing, 1)])
    support.pay_order(slow)
    slow.refresh_from_db()
    assert (slow.status, slow.cancel_reason, slow.refunded_minor) == (
        "cancelled",
        "out_of_stock",
        3000,
    )
    assert [p["order_id"] for p in payloads("orders.order_paid")].count(str(slow.pk)) == 1
    (refund,) = [p for p in payloads("orders.refund_issued") if p["order_id"] == str(slow.pk)]
    assert (refund["amount_minor"], refund["reason"]) == (3000, "cancellation")
    assert available(listing) == 0


def test_cancelling_a_paid_order_returns_the_stock_and_refunds_each_vendor_order(
    customer: UUID,
) -> None:
    shop_a, shop_b = support.make_shop(), support.make_shop()
    a = support.make_listing(shop_a, stock=3, price_minor=1000)
    b = support.make_listing(shop_b, stock=3, price_minor=2000)
    order = paid_order(customer, [(a, 2), (b, 1)])
    fulfil_a = order.vendor_orders.get(store_id=shop_a.store_id)
    support.fulfil([fulfil_a], until="packed")
    with support.committed():
        cancelled = lifecycle.order_cancel(
            order_id=order.pk, reason="customer", customer_user_id=customer
        )
    assert cancelled.status == "cancelled" and cancelled.refunded_minor == 4000
    assert (available(a), available(b)) == (3, 3)
    refunds = sorted((p["vendor_id"], p["amount_minor"]) for p in payloads("orders.refund_issued"))
    assert refunds == sorted([(str(shop_a.vendor_id), 2000), (str(shop_b.vendor_id), 2000)])
    summary = payments.payment_get(payment_id=_payment_of(order))
    assert summary is not None and summary.refunded_minor == 4000
    # idempotent, and illegal afterwards
    assert lifecycle.order_cancel(order_id=order.pk, reason="customer").status == "cancelled"
    with pytest.raises(IllegalTransitionError):
        fulfilment.vendor_order_accept(
            vendor_id=shop_b.vendor_id,
            vendor_order_id=order.vendor_orders.get(store_id=shop_b.store_id).pk,
        )


def test_an_order_cannot_be_cancelled_once_shipped_and_a_cancelled_one_cannot_ship(
    customer: UUID, shop: support.Shop
) -> None:
    listing = support.make_listing(shop, stock=3)
    order = paid_order(customer, [(listing, 1)])
    support.fulfil(order.vendor_orders.all(), until="shipped")
    with pytest.raises(ConflictError) as caught:
        lifecycle.order_cancel(order_id=order.pk, reason="customer", customer_user_id=customer)
    assert caught.value.code == "already_shipped"
    other = paid_order(customer, [(listing, 1)])
    lifecycle.order_cancel(order_id=other.pk, reason="customer")
    vendor_order = other.vendor_orders.get()
    with pytest.raises(IllegalTransitionError) as illegal:
        fulfilment.vendor_order_ship(
            vendor_id=shop.vendor_id,
            vendor_order_id=vendor_order.pk,
            carrier="DHL",
            tracking_number="1",
        )
    assert illegal.value.extra == {"current": "cancelled", "target": "shipped", "allowed": []}


def test_fulfilment_publishes_each_step_and_completes_the_order(
    customer: UUID, shop: support.Shop
) -> None:
    listing = support.make_listing(shop, stock=3)
    order_id = support.make_delivered_order(customer_user_id=customer, listing_ids=[listing])
    order = CustomerOrder.objects.get(pk=order_id)
    vendor_order = order.vendor_orders.get()
    assert (order.status, vendor_order.status) == ("completed", "delivered")
    (shipped,) = payloads("orders.vendor_order_shipped")
    assert (
        shipped["carrier"] == "La Poste"
        and shipped["tracking_number"] == vendor_order.tracking_number
    )
    (delivered,) = payloads("orders.vendor_order_delivered")
    assert delivered["vendor_order_id"] == str(vendor_order.pk) and delivered["lines"][0][
        "listing_id"
    ] == str(listing)
    assert payloads("orders.vendor_order_accepted")[0]["store_id"] == str(shop.store_id)
    with pytest.raises(IllegalTransitionError):
        fulfilment.vendor_order_deliver(vendor_id=shop.vendor_id, vendor_order_id=vendor_order.pk)


def test_a_vendor_cannot_process_another_vendors_order(customer: UUID, shop: support.Shop) -> None:
    other = support.make_shop()
    order = paid_order(customer, [(support.make_listing(shop), 1)])
    with pytest.raises(ApplicationError) as caught:
        fulfilment.vendor_order_accept(
            vendor_id=other.vendor_id, vendor_order_id=order.vendor_orders.get().pk
        )
    assert caught.value.status_code == 404
    assert order.vendor_orders.get().status == "paid"


def test_ship_needs_a_carrier_and_a_tracking_number(customer: UUID, shop: support.Shop) -> None:
    order = paid_order(customer, [(support.make_listing(shop), 1)])
    support.fulfil(order.vendor_orders.all(), until="packed")
    with pytest.raises(ApplicationError) as caught:
        fulfilment.vendor_order_ship(
            vendor_id=shop.vendor_id,
            vendor_order_id=order.vendor_orders.get().pk,
            carrier=" ",
            tracking_number="X",
        )
    assert "carrier" in caught.value.fields
    assert order.vendor_orders.get().status == "packed"


def _delivered(
    customer: UUID, shop: support.Shop, *, quantity: int = 2, price: int = 1000
) -> tuple[VendorOrder, UUID]:
    listing = support.make_listing(shop, stock=5, price_minor=price)
    order = paid_order(customer, [(listing, quantity)])
    support.fulfil(order.vendor_orders.all())
    return order.vendor_orders.get(), listing


def test_a_partial_return_refunds_what_the_vendor_approves_and_restocks(
    customer: UUID, shop: support.Shop
) -> None:
    vendor_order, listing = _delivered(customer, shop)
    line = vendor_order.lines.get()
    assert facade.customer_has_delivered_purchase(
        customer_user_id=customer, product_id=line.product_id
    )
    with support.committed():
        ret = returns.return_request(
            customer_user_id=customer,
            vendor_order_id=vendor_order.pk,
            lines=[returns.ReturnLineInput(line_id=line.pk, quantity=1)],
            reason="Arrived scratched",
        )
    # the same unit cannot be asked for twice while the request is open
    with pytest.raises(ApplicationError) as caught:
        returns.return_request(
            customer_user_id=customer,
            vendor_order_id=vendor_order.pk,
            lines=[returns.ReturnLineInput(line_id=line.pk, quantity=2)],
            reason="again",
        )
    assert caught.value.code == "invalid_quantity"
    with pytest.raises(ApplicationError) as too_much:
        returns.return_approve(vendor_id=shop.vendor_id, return_id=ret.pk, refund_amount_minor=1001)
    assert too_much.value.code == "refund_exceeds_paid" and too_much.value.status_code == 422
    before = available(listing)
    with support.committed():
        approved = returns.return_approve(
            vendor_id=shop.vendor_id, return_id=ret.pk, refund_amount_minor=700, restock=True
        )
    assert (approved.status, approved.refund_amount_minor) == ("approved", 700)
    assert available(listing) == before + 1
    (issued,) = payloads("orders.refund_issued")
    assert (issued["amount_minor"], issued["reason"], issued["return_id"]) == (
        700,
        "return",
        str(ret.pk),
    )
    assert issued["lines"][0]["quantity"] == 1
    vendor_order.refresh_from_db()
    assert vendor_order.refunded_minor == 700
    summary = payments.payment_get(payment_id=_payment_of(vendor_order.order))
    assert summary is not None and summary.refunded_minor == 700
    with pytest.raises(ConflictError):
        returns.return_approve(vendor_id=shop.vendor_id, return_id=ret.pk)
    # one unit still delivered and kept: still a verified purchase
    assert facade.customer_has_delivered_purchase(customer_user_id=customer, store_id=shop.store_id)


def test_a_full_return_ends_the_verified_purchase_and_refunds_never_exceed_the_payment(
    customer: UUID, shop: support.Shop
) -> None:
    vendor_order, _ = _delivered(customer, shop, quantity=1, price=2500)
    line = vendor_order.lines.get()
    with support.committed():
        ret = returns.return_request(
            customer_user_id=customer,
            vendor_order_id=vendor_order.pk,
            lines=[returns.ReturnLineInput(line_id=line.pk, quantity=1)],
            reason="Wrong size",
        )
        returns.return_approve(vendor_id=shop.vendor_id, return_id=ret.pk)
    vendor_order.refresh_from_db()
    assert vendor_order.refunded_minor == 2500
    assert not facade.customer_has_delivered_purchase(
        customer_user_id=customer, vendor_id=shop.vendor_id
    )
    with pytest.raises(ApplicationError) as caught:
        returns.return_request(
            customer_user_id=customer,
            vendor_order_id=vendor_order.pk,
            lines=[returns.ReturnLineInput(line_id=line.pk, quantity=1)],
            reason="again",
        )
    assert caught.value.code == "invalid_quantity"


def test_a_rejected_return_refunds_nothing(customer: UUID, shop: support.Shop) -> None:
    vendor_order, _ = _delivered(customer, shop)
    line = vendor_order.lines.get()
    ret = returns.return_request(
        customer_user_id=customer,
        vendor_order_id=vendor_order.pk,
        lines=[returns.ReturnLineInput(line_id=line.pk, quantity=2)],
        reason="Changed my mind",
    )
    with pytest.raises(ApplicationError):
        returns.return_reject(vendor_id=shop.vendor_id, return_id=ret.pk, reason="")
    rejected = returns.return_reject(vendor_id=shop.vendor_id, return_id=ret.pk, reason="Used item")
    assert rejected.status == "rejected"
    assert not OrderRefund.objects.exists()
    assert payloads("orders.return_rejected")[0]["rejection_reason"] == "Used item"


def test_returns_need_a_delivered_vendor_order_of_ones_own(
    customer: UUID, shop: support.Shop
) -> None:
    order = paid_order(customer, [(support.make_listing(shop), 1)])
    vendor_order = order.vendor_orders.get()
    line = vendor_order.lines.get()
    with pytest.raises(ConflictError) as caught:
        returns.return_request(
            customer_user_id=customer,
            vendor_order_id=vendor_order.pk,
            lines=[returns.ReturnLineInput(line_id=line.pk, quantity=1)],
            reason="x",
        )
    assert caught.value.code == "not_delivered"
    with pytest.raises(ApplicationError) as other:
        returns.return_request(
            customer_user_id=support.make_customer(),
            vendor_order_id=vendor_order.pk,
            lines=[returns.ReturnLineInput(line_id=line.pk, quantity=1)],
            reason="x",
        )
    assert other.value.status_code == 404


def test_facade_says_no_for_undelivered_and_for_other_customers(
    customer: UUID, shop: support.Shop
) -> None:
    listing = support.make_listing(shop)
    order = paid_order(customer, [(listing, 1)])
    product_id = order.vendor_orders.get().lines.get().product_id
    assert not facade.customer_has_delivered_purchase(
        customer_user_id=customer, product_id=product_id
    )
    support.fulfil(order.vendor_orders.all())
    assert facade.customer_has_delivered_purchase(customer_user_id=customer, product_id=product_id)
    assert facade.customer_has_delivered_purchase(
        customer_user_id=customer, product_id=product_id, store_id=shop.store_id
    )
    assert not facade.customer_has_delivered_purchase(
        customer_user_id=customer, product_id=product_id, store_id=support.make_shop().store_id
    )
    assert not facade.customer_has_delivered_purchase(
        customer_user_id=support.make_customer(), product_id=product_id
    )
