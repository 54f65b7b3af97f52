"""A real purchase (checkout, sandbox payment webhook), a cancellation and a return, and
what each posts in the ledger: the events are the orders context's own, published by its
services and dispatched in-process."""

from __future__ import annotations

import pytest

from contexts.ledger import facade as ledger
from contexts.ledger.models import Posting
from contexts.orders.services.lifecycle import order_cancel
from contexts.orders.services.returns import ReturnLineInput, return_approve, return_request
from contexts.subscriptions import facade as subscriptions
from tests.support import orders as support

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_paid_orders_cancellations_and_returns_post_the_vendors_money():
    shop_a, shop_b = support.make_shop(), support.make_shop()
    listing_a = support.make_listing(shop_a, price_minor=2_500, stock=5)
    listing_b = support.make_listing(shop_b, price_minor=999, stock=5)
    customer = support.make_customer()
    # No subscription: the default plan's rate applies to both shops.
    rate = subscriptions.commission_rate_for(vendor_id=shop_a.vendor_id)
    assert rate == 1_500

    order = support.pay_order(
        support.place_order(customer_user_id=customer, lines=[(listing_a, 2), (listing_b, 1)])
    )
    assert order.status == "paid"
    vendor_orders = {vo.vendor_id: vo for vo in order.vendor_orders.all()}
    assert ledger.vendor_balance(vendor_id=shop_a.vendor_id) == {"EUR": 5_000 - 750}
    assert ledger.vendor_balance(vendor_id=shop_b.vendor_id) == {"EUR": 999 - 150}
    sale_b = Posting.objects.get(vendor_order_id=vendor_orders[shop_b.vendor_id].pk, kind="sale")
    assert (sale_b.order_id, sale_b.store_id, sale_b.commission_rate_bp) == (
        order.pk,
        shop_b.store_id,
        1_500,
    )

    # Shop B delivers; the customer returns its line; B approves: a full reversal.
    support.fulfil([vendor_orders[shop_b.vendor_id]])
    line = vendor_orders[shop_b.vendor_id].lines.get()
    with support.committed():
        ret = return_request(
            customer_user_id=customer,
            vendor_order_id=vendor_orders[shop_b.vendor_id].pk,
            lines=[ReturnLineInput(line_id=line.pk, quantity=1)],
            reason="damaged",
        )
    with support.committed():
        return_approve(vendor_id=shop_b.vendor_id, return_id=ret.pk)
    assert ledger.vendor_balance(vendor_id=shop_b.vendor_id) == {"EUR": 0}
    [reversal] = Posting.objects.filter(vendor_id=shop_b.vendor_id, kind="refund")
    assert (reversal.gross_minor, reversal.commission_minor, reversal.reason) == (
        -999,
        -150,
        "return",
    )

    # A second order from shop A, cancelled before shipping: refunded, reversed in full.
    second = support.pay_order(
        support.place_order(customer_user_id=customer, lines=[(listing_a, 1)])
    )
    assert ledger.vendor_balance(vendor_id=shop_a.vendor_id) == {"EUR": 4_250 + 2_125}
    with support.committed():
        order_cancel(order_id=second.pk, reason="customer", customer_user_id=customer)
    assert ledger.vendor_balance(vendor_id=shop_a.vendor_id) == {"EUR": 4_250}
    statement = ledger.vendor_statement(vendor_id=shop_a.vendor_id)
    assert sorted((line.kind, line.gross_minor) for line in statement) == [
        ("refund", -2_500),
        ("sale", 2_500),
        ("sale", 5_000),
    ]
