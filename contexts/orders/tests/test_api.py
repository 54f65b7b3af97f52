"""The orders API over Django's test client: the happy path, bad input as 4xx, and
isolation: customers and vendors reach only their own orders, on every endpoint."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from contexts.orders.models import CustomerOrder
from contexts.orders.tests.conftest import Client, email_of
from tests.support import orders as support

pytestmark = pytest.mark.django_db

ClientFor = Callable[[str], Client]


def data(response: Any) -> Any:
    assert response.status_code < 400, (response.status_code, response.content[:1500])
    return response.json()["data"]


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:1500])
    body = response.json()
    assert body["data"] is None
    return dict(body["error"])


def checkout(client: Client, key: str | None = None, address: Any = None) -> Any:
    return client.post(
        "/api/v1/orders/checkout",
        {"shipping_address": support.ADDRESS if address is None else address},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )


def test_an_anonymous_cart_is_merged_into_the_customers_on_login(
    customer: UUID, shop: support.Shop, client_for: ClientFor
) -> None:
    kettle = support.make_listing(shop, price_minor=2500)
    mug = support.make_listing(shop, price_minor=500)
    visitor = Client()
    cart = data(
        visitor.post(
            "/api/v1/orders/cart/lines", {"listing_id": str(kettle), "quantity": 1}, format="json"
        )
    )
    token = cart["token"]
    assert token and cart["total_minor"] == 2500
    cart = data(
        visitor.post(
            "/api/v1/orders/cart/lines",
            {"listing_id": str(mug), "quantity": 2},
            format="json",
            HTTP_X_CART_TOKEN=token,
        )
    )
    assert cart["total_minor"] == 3500 and len(cart["lines"]) == 2
    me = client_for(email_of(customer))
    data(
        me.post(
            "/api/v1/orders/cart/lines", {"listing_id": str(kettle), "quantity": 1}, format="json"
        )
    )
    merged = data(me.get("/api/v1/orders/cart", HTTP_X_CART_TOKEN=token))
    assert merged["token"] == ""
    assert {(line["listing_id"], line["quantity"]) for line in merged["lines"]} == {
        (str(kettle), 2),
        (str(mug), 2),
    }
    # the visitor's token is spent: it names no cart any more
    fresh = data(visitor.get("/api/v1/orders/cart", HTTP_X_CART_TOKEN=token))
    assert fresh["lines"] == [] and fresh["token"] != token
    forged = data(visitor.get("/api/v1/orders/cart", HTTP_X_CART_TOKEN="not-a-token"))
    assert forged["lines"] == []


def test_cart_edits_and_bad_input(
    customer: UUID, shop: support.Shop, client_for: ClientFor
) -> None:
    listing = support.make_listing(shop, stock=3)
    me = client_for(email_of(customer))
    for quantity in (0, -2, 1000, "many"):
        err = error(
            me.post(
                "/api/v1/orders/cart/lines",
                {"listing_id": str(listing), "quantity": quantity},
                format="json",
            ),
            400,
        )
        assert err["code"] in {"invalid_quantity", "validation_error"}
    error(
        me.post(
            "/api/v1/orders/cart/lines",
            {"listing_id": str(uuid.uuid4()), "quantity": 1},
            format="json",
        ),
        404,
    )
    data(
        me.post(
            "/api/v1/orders/cart/lines", {"listing_id": str(listing), "quantity": 1}, format="json"
        )
    )
    cart = data(
        me.post(f"/api/v1/orders/cart/lines/{listing}/update", {"quantity": 5}, format="json")
    )
    assert cart["lines"][0]["quantity"] == 5
    assert [c["kind"] for c in cart["changes"]] == ["quantity_reduced"]
    assert error(checkout(me), 409)["code"] == "out_of_stock"
    assert not CustomerOrder.objects.exists()
    cart = data(me.post(f"/api/v1/orders/cart/lines/{listing}/remove", format="json"))
    assert cart["lines"] == []
    error(me.post(f"/api/v1/orders/cart/lines/{listing}/remove", format="json"), 404)
    assert error(checkout(me), 400)["code"] == "cart_empty"


def test_checkout_over_http_is_idempotent(
    customer: UUID, shop: support.Shop, client_for: ClientFor
) -> None:
    listing = support.make_listing(shop, stock=3, price_minor=1200)
    me = client_for(email_of(customer))
    data(
        me.post(
            "/api/v1/orders/cart/lines", {"listing_id": str(listing), "quantity": 2}, format="json"
        )
    )
    assert error(checkout(me, address={"full_name": "x"}), 400)["code"] == "invalid_address"
    missing_key = me.post(
        "/api/v1/orders/checkout", {"shipping_address": support.ADDRESS}, format="json"
    )
    assert error(missing_key, 400)["code"] == "idempotency_key_required"
    first = checkout(me, key="order-1")
    assert first.status_code == 201
    order = first.json()["data"]
    assert order["total_minor"] == 2400 and order["payment_url"]
    replay = checkout(me, key="order-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["data"]["order_id"] == order["order_id"]
    other = checkout(me, key="order-1", address={**support.ADDRESS, "line1": "2 Other Road"})
    assert error(other, 422)["code"] == "idempotency_key_reused"
    listed = data(me.get("/api/v1/orders/mine"))
    assert [o["order_id"] for o in listed] == [order["order_id"]]
    assert error(me.get("/api/v1/orders/mine?status=bogus"), 400)["code"] == "validation_error"
    assert data(me.get("/api/v1/orders/mine?status=paid")) == []


def test_vendor_fulfilment_and_customer_return_over_http(
    customer: UUID, shop: support.Shop, client_for: ClientFor
) -> None:
    listing = support.make_listing(shop, stock=3, price_minor=1500)
    me = client_for(email_of(customer))
    vendor = client_for(shop.owner_email)
    data(
        me.post(
            "/api/v1/orders/cart/lines", {"listing_id": str(listing), "quantity": 2}, format="json"
        )
    )
    order = data(checkout(me))
    vendor_order_id = order["vendor_orders"][0]["vendor_order_id"]
    base = f"/api/v1/orders/vendor/orders/{vendor_order_id}"
    assert error(vendor.post(f"{base}/accept"), 409)["code"] == "illegal_transition"  # unpaid
    support.pay_order(CustomerOrder.objects.get(pk=order["order_id"]))
    assert [
        vo["vendor_order_id"] for vo in data(vendor.get("/api/v1/orders/vendor/orders?status=paid"))
    ] == [vendor_order_id]
    assert data(vendor.post(f"{base}/accept"))["status"] == "accepted"
    assert data(vendor.post(f"{base}/pack"))["status"] == "packed"
    assert (
        error(vendor.post(f"{base}/ship", {"carrier": "DHL"}, format="json"), 400)["code"]
        == "validation_error"
    )
    shipped = data(
        vendor.post(f"{base}/ship", {"carrier": "DHL", "tracking_number": "JD0001"}, format="json")
    )
    assert (shipped["status"], shipped["tracking_number"]) == ("shipped", "JD0001")
    assert shipped["shipping_address"]["city"] == "Lyon"
    assert (
        error(me.post(f"/api/v1/orders/mine/{order['order_id']}/cancel"), 409)["code"]
        == "already_shipped"
    )
    assert data(vendor.post(f"{base}/deliver"))["status"] == "delivered"
    detail = data(me.get(f"/api/v1/orders/mine/{order['order_id']}"))
    assert detail["status"] == "completed"
    line_id = detail["vendor_orders"][0]["lines"][0]["line_id"]
    returns_url = f"/api/v1/orders/mine/{order['order_id']}/vendor-orders/{vendor_order_id}/returns"
    bad = me.post(
        returns_url, {"lines": [{"line_id": line_id, "quantity": 3}], "reason": "x"}, format="json"
    )
    assert error(bad, 400)["code"] == "invalid_quantity"
    ret = data(
        me.post(
            returns_url,
            {"lines": [{"line_id": line_id, "quantity": 1}], "reason": "Broken"},
            format="json",
        )
    )
    pending = data(vendor.get("/api/v1/orders/vendor/returns?status=requested"))
    assert [r["return_id"] for r in pending] == [ret["return_id"]]
    too_much = vendor.post(
        f"/api/v1/orders/vendor/returns/{ret['return_id']}/approve",
        {"refund_amount_minor": 1501},
        format="json",
    )
    assert error(too_much, 422)["code"] == "refund_exceeds_paid"
    approved = data(
        vendor.post(
            f"/api/v1/orders/vendor/returns/{ret['return_id']}/approve",
            {"restock": True},
            format="json",
        )
    )
    assert (approved["status"], approved["refund_amount_minor"]) == ("approved", 1500)
    assert data(me.get(f"/api/v1/orders/mine/{order['order_id']}"))["refunded_minor"] == 1500


def test_customers_and_vendors_reach_only_their_own_orders_on_every_endpoint(
    customer: UUID, shop: support.Shop, client_for: ClientFor
) -> None:
    listing = support.make_listing(shop, stock=5)
    order_id = support.make_delivered_order(customer_user_id=customer, listing_ids=[listing])
    order = CustomerOrder.objects.get(pk=order_id)
    vendor_order = order.vendor_orders.get()
    line = vendor_order.lines.get()
    from contexts.orders.services import returns

    ret = returns.return_request(
        customer_user_id=customer,
        vendor_order_id=vendor_order.pk,
        lines=[returns.ReturnLineInput(line_id=line.pk, quantity=1)],
        reason="Broken",
    )
    stranger = client_for(email_of(support.make_customer()))
    rival = client_for(support.make_shop().owner_email)
    owner = client_for(email_of(customer))

    customer_urls: list[tuple[str, str, Any]] = [
        ("get", f"/api/v1/orders/mine/{order_id}", None),
        ("post", f"/api/v1/orders/mine/{order_id}/cancel", None),
        (
            "post",
            f"/api/v1/orders/mine/{order_id}/vendor-orders/{vendor_order.pk}/returns",
            {"lines": [{"line_id": str(line.pk), "quantity": 1}], "reason": "mine now"},
        ),
    ]
    for method, url, body in customer_urls:
        assert getattr(stranger, method)(url, body, format="json").status_code == 404, url
    assert data(stranger.get("/api/v1/orders/mine")) == []
    assert data(owner.get("/api/v1/orders/mine"))[0]["order_id"] == str(order_id)

    vendor_urls: list[tuple[str, str, Any]] = [
        ("get", f"/api/v1/orders/vendor/orders/{vendor_order.pk}", None),
        ("post", f"/api/v1/orders/vendor/orders/{vendor_order.pk}/accept", None),
        ("post", f"/api/v1/orders/vendor/orders/{vendor_order.pk}/pack", None),
        (
            "post",
            f"/api/v1/orders/vendor/orders/{vendor_order.pk}/ship",
            {"carrier": "x", "tracking_number": "y"},
        ),
        ("post", f"/api/v1/orders/vendor/orders/{vendor_order.pk}/deliver", None),
        ("post", f"/api/v1/orders/vendor/returns/{ret.pk}/approve", {}),
        ("post", f"/api/v1/orders/vendor/returns/{ret.pk}/reject", {"reason": "no"}),
    ]
    for method, url, body in vendor_urls:
        assert getattr(rival, method)(url, body, format="json").status_code == 404, url
        # a customer who is no vendor is refused outright
        assert getattr(owner, method)(url, body, format="json").status_code == 403, url
    assert data(rival.get("/api/v1/orders/vendor/orders")) == []
    assert data(rival.get("/api/v1/orders/vendor/returns")) == []
    assert Client().get("/api/v1/orders/mine").status_code == 401
    assert Client().get("/api/v1/orders/vendor/orders").status_code == 401
    order.refresh_from_db()
    assert order.status == "completed"
    ret.refresh_from_db()
    assert ret.status == "requested"
