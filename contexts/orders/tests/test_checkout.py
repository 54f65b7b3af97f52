"""Checkout against the real vendors stock and the sandbox payments gateway."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import pytest

from bazaar_platform.api.errors import ApplicationError, ConflictError
from bazaar_platform.events.models import OutboxMessage
from contexts.orders.models import CartLine, CustomerOrder, OrderLine, VendorOrder
from contexts.orders.services import carts
from contexts.orders.services.checkout import checkout
from contexts.vendors import facade as vendors
from tests.support import orders as support

pytestmark = pytest.mark.django_db


def available(listing_id: UUID) -> int:
    return vendors.listings_get(listing_ids=[listing_id])[listing_id].available


def events(event_type: str) -> list[dict[str, Any]]:
    return [
        m.message["payload"]
        for m in OutboxMessage.objects.filter(event_type=event_type).order_by("id")
    ]


def test_checkout_splits_per_store_reserves_stock_and_returns_a_payment_link(
    customer: UUID,
) -> None:
    shop_a, shop_b = support.make_shop(), support.make_shop()
    kettle = support.make_listing(shop_a, stock=5, price_minor=2500)
    mug = support.make_listing(shop_a, stock=5, price_minor=500)
    lamp = support.make_listing(shop_b, stock=3, price_minor=4000)

    order = support.place_order(customer_user_id=customer, lines=[(kettle, 2), (mug, 1), (lamp, 1)])

    assert order.status == "pending_payment"
    assert order.total_minor == 2 * 2500 + 500 + 4000
    assert order.payment_url.startswith("http") and order.payment_id is not None
    parts = {vo.store_id: vo for vo in order.vendor_orders.all()}
    assert set(parts) == {shop_a.store_id, shop_b.store_id}
    assert parts[shop_a.store_id].subtotal_minor == 5500
    assert parts[shop_b.store_id].vendor_id == shop_b.vendor_id
    line = OrderLine.objects.get(listing_id=kettle)
    assert (line.unit_price_minor, line.quantity, line.vendor_order.store_id) == (
        2500,
        2,
        shop_a.store_id,
    )
    assert (available(kettle), available(mug), available(lamp)) == (3, 4, 2)
    assert not CartLine.objects.filter(cart__customer_user_id=customer).exists()
    (placed,) = events("orders.order_placed")
    assert placed["order_id"] == str(order.pk) and placed["total_minor"] == order.total_minor
    assert {line["vendor_order_id"] for line in placed["lines"]} == {
        str(vo.pk) for vo in parts.values()
    }


def test_same_key_same_body_returns_the_same_order_and_another_body_is_refused(
    customer: UUID, shop: support.Shop
) -> None:
    listing = support.make_listing(shop, stock=5)
    first = support.place_order(customer_user_id=customer, lines=[(listing, 1)], key="k-1")
    again = checkout(
        customer_user_id=customer, idempotency_key="k-1", shipping_address=support.ADDRESS
    )
    assert again.order.pk == first.pk and not again.created
    assert again.order.payment_id == first.payment_id
    with pytest.raises(ApplicationError) as caught:
        checkout(
            customer_user_id=customer,
            idempotency_key="k-1",
            shipping_address={**support.ADDRESS, "city": "Paris"},
        )
    assert caught.value.code == "idempotency_key_reused" and caught.value.status_code == 422
    assert CustomerOrder.objects.count() == 1
    assert available(listing) == 4


def test_out_of_stock_writes_nothing(customer: UUID, shop: support.Shop) -> None:
    plenty = support.make_listing(shop, stock=10)
    scarce = support.make_listing(shop, stock=1)
    cart = carts.cart_for_customer(customer_user_id=customer)
    carts.cart_line_set(cart=cart, listing_id=plenty, quantity=3)
    carts.cart_line_set(cart=cart, listing_id=scarce, quantity=2)
    before = OutboxMessage.objects.count()
    with pytest.raises(ConflictError) as caught:
        checkout(customer_user_id=customer, idempotency_key="oos", shipping_address=support.ADDRESS)
    assert caught.value.code == "out_of_stock"
    assert caught.value.extra["lines"][0]["listing_id"] == str(scarce)
    assert not CustomerOrder.objects.exists() and not VendorOrder.objects.exists()
    assert (available(plenty), available(scarce)) == (10, 1)
    assert OutboxMessage.objects.count() == before
    assert cart.lines.count() == 2  # the customer can fix the cart and try again


@pytest.mark.parametrize(
    ("address", "field"),
    [
        (None, "shipping_address"),
        ({**support.ADDRESS, "city": ""}, "shipping_address.city"),
        (
            {k: v for k, v in support.ADDRESS.items() if k != "postal_code"},
            "shipping_address.postal_code",
        ),
        ({**support.ADDRESS, "country": "France"}, "shipping_address.country"),
        ({**support.ADDRESS, "planet": "Mars"}, "shipping_address.planet"),
    ],
)
def test_bad_addresses_are_refused_before_anything_is_reserved(
    customer: UUID, shop: support.Shop, address: Any, field: str
) -> None:
    listing = support.make_listing(shop, stock=2)
    cart = carts.cart_for_customer(customer_user_id=customer)
    carts.cart_line_set(cart=cart, listing_id=listing, quantity=1)
    with pytest.raises(ApplicationError) as caught:
        checkout(
            customer_user_id=customer, idempotency_key=str(uuid.uuid4()), shipping_address=address
        )
    assert caught.value.status_code == 400 and field in caught.value.fields
    assert available(listing) == 2 and not CustomerOrder.objects.exists()


def test_empty_cart_and_missing_key_are_refused(customer: UUID) -> None:
    with pytest.raises(ApplicationError) as caught:
        checkout(customer_user_id=customer, idempotency_key="e", shipping_address=support.ADDRESS)
    assert caught.value.code == "cart_empty"
    with pytest.raises(ApplicationError) as caught:
        checkout(customer_user_id=customer, idempotency_key="", shipping_address=support.ADDRESS)
    assert caught.value.code == "idempotency_key_required"


def test_a_cart_mixing_currencies_is_refused(customer: UUID) -> None:
    euro = support.make_listing(support.make_shop(currency="EUR"))
    pound = support.make_listing(support.make_shop(currency="GBP"))
    cart = carts.cart_for_customer(customer_user_id=customer)
    carts.cart_line_set(cart=cart, listing_id=euro, quantity=1)
    carts.cart_line_set(cart=cart, listing_id=pound, quantity=1)
    with pytest.raises(ApplicationError) as caught:
        checkout(customer_user_id=customer, idempotency_key="m", shipping_address=support.ADDRESS)
    assert caught.value.code == "currency_mismatch"
    assert not CustomerOrder.objects.exists()


@pytest.mark.parametrize("quantity", [0, -1, 100, 10**12])
def test_quantities_out_of_range_are_refused(
    customer: UUID, shop: support.Shop, quantity: int
) -> None:
    listing = support.make_listing(shop)
    cart = carts.cart_for_customer(customer_user_id=customer)
    with pytest.raises(ApplicationError) as caught:
        carts.cart_line_set(cart=cart, listing_id=listing, quantity=quantity)
    assert caught.value.code == "invalid_quantity"
    assert not cart.lines.exists()


def test_listings_of_unpublished_products_cannot_be_carted_or_checked_out(
    customer: UUID, shop: support.Shop
) -> None:
    from tests.support.catalog import unpublish

    listing = support.make_listing(shop)
    cart = carts.cart_for_customer(customer_user_id=customer)
    carts.cart_line_set(cart=cart, listing_id=listing, quantity=1)
    info = vendors.listings_get(listing_ids=[listing])[listing]
    with support.committed():
        unpublish(info.product_id)
    with pytest.raises(ApplicationError) as caught:
        checkout(customer_user_id=customer, idempotency_key="u", shipping_address=support.ADDRESS)
    assert caught.value.code == "listing_unavailable"
    with pytest.raises(ApplicationError) as caught:
        carts.cart_line_set(cart=cart, listing_id=listing, quantity=2)
    assert caught.value.code == "listing_unavailable"
    assert not CustomerOrder.objects.exists()
    assert [c.kind for c in carts.cart_read(cart=cart).changes] == ["unavailable"]


def test_a_price_change_is_reported_on_read_and_at_checkout(
    customer: UUID, shop: support.Shop
) -> None:
    listing = support.make_listing(shop, price_minor=1000)
    cart = carts.cart_for_customer(customer_user_id=customer)
    carts.cart_line_set(cart=cart, listing_id=listing, quantity=1)
    support.listing_price_set(shop, listing, 1200)
    with pytest.raises(ConflictError) as caught:
        checkout(customer_user_id=customer, idempotency_key="p", shipping_address=support.ADDRESS)
    assert caught.value.code == "cart_changed"
    assert caught.value.extra["changes"] == [{"listing_id": str(listing), "old": 1000, "new": 1200}]
    order = checkout(
        customer_user_id=customer, idempotency_key="p2", shipping_address=support.ADDRESS
    ).order
    assert order.total_minor == 1200
    support.listing_price_set(shop, listing, 900)
    carts.cart_line_set(cart=cart, listing_id=listing, quantity=1)
    view = carts.cart_read(cart=cart)
    assert view.changes == ()
    support.listing_price_set(shop, listing, 950)
    view = carts.cart_read(cart=cart)
    assert [(c.kind, c.old, c.new) for c in view.changes] == [("price_changed", 900, 950)]
    assert carts.cart_read(cart=cart).changes == ()  # reported once


def test_a_checkout_costs_a_bounded_number_of_statements(
    customer: UUID, shop: support.Shop
) -> None:
    """The statements of one checkout over the API (the events' dispatch after commit
    excluded): was 34 before the reservation became one conditional UPDATE and the
    link came first (docs/orders-benchmark.md); a regression shows here first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    listing = support.make_listing(shop, stock=5)
    cart = carts.cart_for_customer(customer_user_id=customer)
    carts.cart_line_set(cart=cart, listing_id=listing, quantity=1)
    client = APIClient()  # after-commit callbacks (the dispatch) do not run: not counted
    login = client.post(
        "/api/v1/auth/login",
        {"email": support.email_of(customer), "password": support.PASSWORD},
        format="json",
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['data']['access_token']}")
    assert client.get("/api/v1/orders/mine").status_code == 200  # token keys cached
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/api/v1/orders/checkout",
            {"shipping_address": support.ADDRESS},
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    assert response.status_code == 201, response.content
    statements = [q["sql"] for q in captured if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 22, "\n".join(s[:120] for s in statements)
    assert available(listing) == 4
