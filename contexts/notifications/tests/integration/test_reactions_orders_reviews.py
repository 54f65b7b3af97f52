"""Reactions to the orders, vendors stock and reviews events: the customer follows an
order, each vendor hears of its own part, authors hear of replies and rejections.

The events are the contexts' published classes, published through the platform; the
recipients resolve through the auth and vendors facades."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import TestCase
from rest_framework.test import APIClient

from bazaar_platform.events import publish
from bazaar_platform.events.base import IntegrationEvent
from contexts.notifications.models import Category, Notification
from contexts.notifications.tests.conftest import PASSWORD, make_user, new_email
from contexts.orders import events as orders_events
from contexts.reviews import events as reviews_events
from contexts.vendors import events as vendors_events

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _register_vendor() -> dict[str, Any]:
    """A vendor on the free plan through the vendors API, each from its own address
    (registrations are throttled per address)."""
    tag = uuid.uuid4().hex[:8]
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = APIClient().post(
            "/api/v1/vendors/register",
            {
                "email": new_email(),
                "full_name": "Vera Vendor",
                "password": PASSWORD,
                "legal_name": f"Vera {tag} Ltd",
                "plan": "free",
                "store": {"name": f"Store {tag}", "slug": f"store-{tag}", "currency": "EUR"},
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            REMOTE_ADDR=f"198.51.{int(tag[:2], 16)}.{int(tag[2:4], 16)}",
        )
    assert response.status_code == 201, response.content
    return dict(response.json()["data"])


def _emit(event: IntegrationEvent) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        publish(event)


def _line(vendor: dict[str, Any], vendor_order_id: uuid.UUID, title: str, qty: int, unit: int):
    return {
        "line_id": str(uuid.uuid4()),
        "vendor_order_id": str(vendor_order_id),
        "listing_id": str(uuid.uuid4()),
        "product_id": str(uuid.uuid4()),
        "variant_id": str(uuid.uuid4()),
        "store_id": vendor["store"]["id"],
        "vendor_id": vendor["vendor"]["id"],
        "title": title,
        "quantity": qty,
        "unit_price_minor": unit,
    }


@pytest.fixture
def order() -> dict[str, Any]:
    """A customer and an order of two vendors (a phone from one, a case from the other)."""
    a, b = _register_vendor(), _register_vendor()
    vo_a, vo_b = uuid.uuid4(), uuid.uuid4()
    lines = [
        _line(a, vo_a, "Acme Phone X", 1, 89900),
        _line(b, vo_b, "Leather <b>case</b>", 2, 1500),
    ]
    return {
        "customer": make_user(full_name="Carla Customer"),
        "order_id": uuid.UUID("3f2a9c1b-0000-4000-8000-000000000001"),
        "vendors": (a, b),
        "vendor_orders": (vo_a, vo_b),
        "lines": lines,
        "total": 92900,
    }


def _common(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_id": o["order_id"],
        "customer_user_id": o["customer"],
        "currency": "EUR",
        "total_minor": o["total"],
        "lines": o["lines"],
    }


def _vendor_part(o: dict[str, Any], index: int) -> dict[str, Any]:
    vendor = o["vendors"][index]
    vo = o["vendor_orders"][index]
    return {
        **_common(o),
        "lines": [line for line in o["lines"] if line["vendor_order_id"] == str(vo)],
        "vendor_order_id": vo,
        "vendor_id": uuid.UUID(vendor["vendor"]["id"]),
        "store_id": uuid.UUID(vendor["store"]["id"]),
    }


def _one(user_id: Any, kind: str) -> Notification:
    return Notification.objects.get(recipient_user_id=user_id, kind=kind)


def test_placing_and_paying_tell_the_customer_and_each_vendor_its_own_part(order):
    _emit(orders_events.OrderPlaced(**_common(order)))
    placed = _one(order["customer"], "order_placed")
    assert placed.category == Category.ORDERS
    assert placed.subject == "We received your order 3F2A9C1B"
    assert "929.00 EUR" in placed.email_text
    assert placed.link == f"/api/v1/orders/mine/{order['order_id']}"

    vendor_orders = [
        {
            "vendor_order_id": str(vo),
            "vendor_id": v["vendor"]["id"],
            "store_id": v["store"]["id"],
            "subtotal_minor": sub,
        }
        for v, vo, sub in zip(order["vendors"], order["vendor_orders"], (89900, 3000), strict=True)
    ]
    _emit(
        orders_events.OrderPaid(
            **_common(order), payment_id=uuid.uuid4(), vendor_orders=vendor_orders
        )
    )
    assert _one(order["customer"], "order_confirmed").subject == "Your order 3F2A9C1B is confirmed"
    first, second = (uuid.UUID(v["user_id"]) for v in order["vendors"])
    to_first = _one(first, "vendor_new_order")
    to_second = _one(second, "vendor_new_order")
    assert to_first.category == Category.VENDOR_OPERATIONS
    # Each vendor sees its own part only.
    assert "1 item(s) for 899.00 EUR" in to_first.email_text
    assert "2 item(s) for 30.00 EUR" in to_second.email_text


def test_a_shipment_reaches_the_customer_on_every_channel_with_escaped_titles(order):
    _emit(
        orders_events.VendorOrderShipped(
            **_vendor_part(order, 1), carrier="DHL", tracking_number="JD0146"
        )
    )
    shipped = _one(order["customer"], "order_shipped")
    assert shipped.subject == "Part of your order 3F2A9C1B has shipped"
    assert "2 x Leather &lt;b&gt;case&lt;/b&gt; left the seller with DHL" in shipped.in_app_html
    assert "<b>case</b>" not in shipped.in_app_html
    assert "tracking JD0146" in shipped.sms_text
    statuses = {d.channel: d.status for d in shipped.deliveries.all()}
    # No phone number on file: the SMS is recorded as skipped, the others go out.
    assert statuses == {"sms": "skipped", "email": "sent", "in_app": "sent"}
    assert any(m.subject == shipped.subject for m in mail.outbox)


def test_delivery_cancellation_and_returns(order):
    _emit(
        orders_events.VendorOrderDelivered(
            **_vendor_part(order, 0), carrier="DHL", tracking_number="JD0146"
        )
    )
    assert "1 x Acme Phone X was delivered" in _one(order["customer"], "order_delivered").email_text

    return_id = uuid.uuid4()
    part = _vendor_part(order, 0)
    _emit(orders_events.ReturnRequested(**part, return_id=return_id, reason="Arrived scratched"))
    vendor_owner = uuid.UUID(order["vendors"][0]["user_id"])
    asked = _one(vendor_owner, "vendor_return_requested")
    assert "Reason given: Arrived scratched" in asked.email_text
    assert asked.link == f"/api/v1/orders/vendor/orders/{order['vendor_orders'][0]}"

    _emit(
        orders_events.ReturnApproved(
            **part,
            return_id=return_id,
            reason="Arrived scratched",
            refund_amount_minor=45000,
            restock=False,
        )
    )
    assert "We are refunding 450.00 EUR" in _one(order["customer"], "return_approved").email_text

    other = _vendor_part(order, 1)
    _emit(
        orders_events.ReturnRejected(
            **other,
            return_id=uuid.uuid4(),
            reason="Changed my mind",
            rejection_reason="Opened <script>x</script>",
        )
    )
    rejected = _one(order["customer"], "return_rejected")
    assert "Opened &lt;script&gt;x&lt;/script&gt;" in rejected.in_app_html


@pytest.mark.parametrize(
    ("reason", "refunded", "says"),
    [
        ("customer", False, "was cancelled: you cancelled it."),
        ("expired", False, "it was not paid in time"),
        ("out_of_stock", True, "Any money taken is being refunded."),
        ("something-new", False, "our staff cancelled it."),
    ],
)
def test_a_cancellation_says_why(order, reason, refunded, says):
    _emit(orders_events.OrderCancelled(**_common(order), reason=reason, refunded=refunded))
    assert says in _one(order["customer"], "order_cancelled").email_text


def test_low_stock_tells_the_vendors_owner():
    vendor = _register_vendor()
    _emit(
        vendors_events.StockLow(
            listing_id=uuid.uuid4(),
            store_id=uuid.UUID(vendor["store"]["id"]),
            vendor_id=uuid.UUID(vendor["vendor"]["id"]),
            product_id=uuid.uuid4(),
            variant_id=uuid.uuid4(),
            available=2,
            threshold=5,
        )
    )
    low = _one(uuid.UUID(vendor["user_id"]), "stock_low")
    assert low.category == Category.VENDOR_OPERATIONS
    assert "Only 2 left" in low.email_text and "threshold is 5" in low.email_text


def test_reviews_tell_the_vendor_and_the_author():
    vendor = _register_vendor()
    author = make_user()
    store_id = uuid.UUID(vendor["store"]["id"])
    common = {
        "review_id": uuid.uuid4(),
        "subject_type": "store",
        "subject_id": store_id,
        "rating": 4,
        "author_user_id": author,
        "verified_purchase": True,
    }
    _emit(
        reviews_events.ReviewPublished(**common, owner_vendor_id=uuid.UUID(vendor["vendor"]["id"]))
    )
    new = _one(uuid.UUID(vendor["user_id"]), "vendor_new_review")
    assert new.subject == f"New 4-star review of {vendor['store']['name']}"
    # A staff-made product has no owning vendor: nobody to tell.
    _emit(
        reviews_events.ReviewPublished(
            **{**common, "review_id": uuid.uuid4()}, owner_vendor_id=None
        )
    )
    assert Notification.objects.filter(kind="vendor_new_review").count() == 1

    _emit(
        reviews_events.ReviewReplied(
            review_id=common["review_id"],
            author_user_id=author,
            vendor_id=uuid.UUID(vendor["vendor"]["id"]),
        )
    )
    assert _one(author, "review_replied").category == Category.ACCOUNT
    _emit(
        reviews_events.ReviewRejected(
            review_id=uuid.uuid4(), author_user_id=author, reason="Contains a link"
        )
    )
    assert "Reason: Contains a link." in _one(author, "review_rejected").email_text
