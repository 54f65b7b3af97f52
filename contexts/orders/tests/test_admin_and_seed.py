"""The vendor admin page of vendor orders (each vendor sees and processes only its own),
the staff admin, and the demo seed (co-purchases, idempotent)."""

from __future__ import annotations

import io
from collections import Counter
from itertools import combinations
from typing import Any
from uuid import UUID

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from bazaar_platform.seeding import SeedContext
from contexts.orders.models import CustomerOrder, OrderLine, VendorOrder
from contexts.orders.seed import seed_demo_orders
from tests.support import orders as support

pytestmark = pytest.mark.django_db


def browser(email: str) -> Client:
    client = Client()
    response = client.post(
        "/vendor-admin/login/?next=/vendor-admin/",
        {"username": email, "password": support.PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def _paid_vendor_order(customer: UUID, shop: support.Shop) -> VendorOrder:
    order = support.pay_order(
        support.place_order(customer_user_id=customer, lines=[(support.make_listing(shop), 1)])
    )
    return order.vendor_orders.get()


def test_the_vendor_admin_lists_and_processes_only_the_vendors_own_orders(
    customer: UUID, shop: support.Shop
) -> None:
    mine = _paid_vendor_order(customer, shop)
    rival = support.make_shop()
    theirs = _paid_vendor_order(customer, rival)
    client = browser(shop.owner_email)
    page = client.get("/vendor-admin/orders/vendororder/").content.decode()
    assert str(mine.pk) in page and str(theirs.pk) not in page
    assert client.get(f"/vendor-admin/orders/vendororder/{theirs.pk}/change/").status_code in (
        302,
        403,
        404,
    )
    detail = client.get(f"/vendor-admin/orders/vendororder/{mine.pk}/change/").content.decode()
    assert "Lyon" in detail  # where to ship
    with support.committed():
        response = client.post(
            "/vendor-admin/orders/vendororder/",
            {"action": "vendor_accept", "_selected_action": [str(mine.pk), str(theirs.pk)]},
        )
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == ("accepted", "paid")


def test_staff_see_every_order_and_can_cancel_one(customer: UUID, shop: support.Shop) -> None:
    vendor_order = _paid_vendor_order(customer, shop)
    staff = get_user_model().objects.create_superuser(
        email="staff-orders@bazaar.test", password="x-Staff-Passw0rd"
    )
    client = Client()
    client.force_login(staff)
    assert str(vendor_order.order_id) in client.get("/admin/orders/customerorder/").content.decode()
    with support.committed():
        client.post(
            "/admin/orders/customerorder/",
            {"action": "cancel_orders", "_selected_action": [str(vendor_order.order_id)]},
        )
    order = CustomerOrder.objects.get(pk=vendor_order.order_id)
    assert (order.status, order.cancel_reason, order.refunded_minor) == (
        "cancelled",
        "staff",
        order.total_minor,
    )


def test_the_demo_seed_buys_bundles_and_is_idempotent(shop: support.Shop) -> None:
    for n in range(8):
        support.make_listing(shop, stock=40, price_minor=1000 + n)
    ctx = SeedContext(out=io.StringIO(), quiet=True)
    with support.committed():
        seed_demo_orders(ctx)
    orders = CustomerOrder.objects.count()
    assert orders >= 30
    assert set(CustomerOrder.objects.values_list("status", flat=True)) <= {"paid", "completed"}
    assert VendorOrder.objects.filter(status="delivered").exists()
    # co-purchase structure: some pairs of listings are bought together far more than others
    pairs: Counter[tuple[Any, Any]] = Counter()
    for order in CustomerOrder.objects.all():
        listing_ids = sorted(
            str(i)
            for i in OrderLine.objects.filter(vendor_order__order=order).values_list(
                "listing_id", flat=True
            )
        )
        pairs.update(combinations(listing_ids, 2))
    ((_, top_count),) = pairs.most_common(1)
    assert (
        top_count >= 4 and len(pairs) < 28
    )  # 8 listings: 28 possible pairs, not all bought together
    with support.committed():
        seed_demo_orders(ctx)
    assert CustomerOrder.objects.count() == orders
