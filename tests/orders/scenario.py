"""The purchase end to end as a client sees it, over real HTTP; shared by the in-process
and the Celery-over-RabbitMQ runs.

browse -> anonymous cart -> log in (cart merged) -> checkout -> the sandbox's hosted page
(approve) -> its signed webhook -> order paid -> vendor accepts, packs, ships, delivers
-> customer returns a line -> vendor approves with restock -> refund.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from tests.onboarding.support import Http, sandbox_decide, wait_for
from tests.support import orders as support


def purchase_end_to_end(http: Http, *, timeout: float = 30.0) -> dict[str, Any]:
    """Run the whole purchase; returns the final order as the customer sees it."""
    shop_a, shop_b = support.make_shop(), support.make_shop()
    kettle = support.make_listing(
        shop_a, stock=3, price_minor=2500, name=f"Kettle {uuid.uuid4().hex[:6]}"
    )
    lamp = support.make_listing(shop_b, stock=2, price_minor=4000)
    customer = support.make_customer()
    email = support.email_of(customer)

    # browse: the product is in the public catalogue
    products = http.data("GET", "/api/v1/catalog/products/?limit=100")
    assert any(p["name"].startswith("Kettle") for p in products), products

    # an anonymous cart, then log in: the cart follows
    http.token = ""
    cart = http.data(
        "POST", "/api/v1/orders/cart/lines", {"listing_id": str(kettle), "quantity": 2}
    )
    token = cart["token"]
    http.data(
        "POST",
        "/api/v1/orders/cart/lines",
        {"listing_id": str(lamp), "quantity": 1},
        **{"X-Cart-Token": token},
    )
    http.login(email, support.PASSWORD)
    cart = http.data("GET", "/api/v1/orders/cart", **{"X-Cart-Token": token})
    assert cart["total_minor"] == 2 * 2500 + 4000 and not cart["changes"]

    key = str(uuid.uuid4())
    placed = http.call(
        "POST",
        "/api/v1/orders/checkout",
        {"shipping_address": support.ADDRESS},
        **{"Idempotency-Key": key},
    )
    assert placed.status_code == 201, placed.text[:2000]
    order = placed.json()["data"]
    assert len(order["vendor_orders"]) == 2

    decided = sandbox_decide(order["payment_url"], "approve")
    assert decided.status_code == 302, decided.text[:1000]
    path = f"/api/v1/orders/mine/{order['order_id']}"
    wait_for(
        lambda: http.data("GET", path)["status"] == "paid",
        timeout=timeout,
        what="the order to be paid",
    )

    customer_token = http.token
    for shop in (shop_a, shop_b):
        http.login(shop.owner_email, support.PASSWORD)
        (vendor_order,) = http.data("GET", "/api/v1/orders/vendor/orders?status=paid")
        base = f"/api/v1/orders/vendor/orders/{vendor_order['vendor_order_id']}"
        http.data("POST", f"{base}/accept")
        http.data("POST", f"{base}/pack")
        http.data(
            "POST",
            f"{base}/ship",
            {"carrier": "Colissimo", "tracking_number": f"CP{uuid.uuid4().hex[:8]}"},
        )
        http.data("POST", f"{base}/deliver")
    http.token = customer_token
    delivered = http.data("GET", path)
    assert delivered["status"] == "completed"

    vendor_order = next(
        vo for vo in delivered["vendor_orders"] if vo["store_id"] == str(shop_a.store_id)
    )
    line = vendor_order["lines"][0]
    ret = http.data(
        "POST",
        f"{path}/vendor-orders/{vendor_order['vendor_order_id']}/returns",
        {"lines": [{"line_id": line["line_id"], "quantity": 1}], "reason": "Leaks"},
    )
    http.login(shop_a.owner_email, support.PASSWORD)
    approved = http.data(
        "POST", f"/api/v1/orders/vendor/returns/{ret['return_id']}/approve", {"restock": True}
    )
    assert approved["refund_amount_minor"] == 2500
    http.token = customer_token
    final = http.data("GET", path)
    assert final["refunded_minor"] == 2500
    assert _available(kettle) == 3 - 2 + 1
    return dict(final)


def _available(listing_id: UUID) -> int:
    from contexts.vendors import facade as vendors

    return vendors.listings_get(listing_ids=[listing_id])[listing_id].available
