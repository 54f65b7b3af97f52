"""The payment gateway down, at checkout and at refund time, over the Stripe adapter and
a local fake of Stripe's HTTP API (``contexts.payments.tests.fake_stripe``: a real
server in a thread). "Down" is the gateway unreachable: the adapter points at a local
port nobody listens on, exactly what a network outage looks like to the SDK.

* at checkout: a clear 503 in the API envelope, no order, no reservation, the stock and
  the cart as they were; once the gateway is back the same checkout goes through;
* a refund the gateway could not take stays held (``issued_at`` empty); the
  ``orders.refunds_retry`` Celery task sends it once the gateway is back, exactly once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from rest_framework.test import APIClient

from bazaar_platform.events.models import OutboxMessage
from contexts.orders.models import CustomerOrder, OrderRefund, VendorOrder
from contexts.orders.services import lifecycle
from contexts.orders.tasks import orders_refunds_retry_task
from contexts.payments import facade as payments
from contexts.payments.services.gateways import stripe_adapter
from contexts.payments.tests.fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe
from contexts.vendors import facade as vendors
from tests.conftest import free_port
from tests.support import orders as support

pytestmark = pytest.mark.django_db

STRIPE_WEBHOOK = "/api/v1/payments/webhooks/stripe"


@pytest.fixture(scope="module")
def _stripe_server() -> Iterator[FakeStripe]:
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture
def stripe(_stripe_server: FakeStripe, settings: Any) -> FakeStripe:
    """The Stripe gateway, pointed at the fake (up)."""
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = _stripe_server.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.PAYMENTS_GATEWAY_TIMEOUT_SECONDS = 5
    stripe_adapter._client.cache_clear()
    return _stripe_server


def gateway_down(settings: Any) -> None:
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    stripe_adapter._client.cache_clear()


def gateway_up(settings: Any, stripe: FakeStripe) -> None:
    settings.STRIPE_API_BASE = stripe.url
    stripe_adapter._client.cache_clear()


class Client(APIClient):
    """Requests end like real ones: after-commit callbacks (event dispatch) run."""

    def request(self, **kwargs: Any) -> Any:
        with support.committed():
            return super().request(**kwargs)


def logged_in(customer: UUID) -> Client:
    client = Client()
    response = client.post(
        "/api/v1/auth/login",
        {"email": support.email_of(customer), "password": support.PASSWORD},
        format="json",
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['data']['access_token']}")
    return client


def checkout(client: Client, key: str) -> Any:
    return client.post(
        "/api/v1/orders/checkout",
        {"shipping_address": support.ADDRESS},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def available(listing_id: UUID) -> int:
    return vendors.listings_get(listing_ids=[listing_id])[listing_id].available


def test_checkout_with_the_gateway_down_is_a_503_and_leaves_nothing_behind(
    stripe: FakeStripe, settings: Any
) -> None:
    shop = support.make_shop()
    listing = support.make_listing(shop, stock=5, price_minor=2500)
    customer = support.make_customer()
    client = logged_in(customer)
    added = client.post(
        "/api/v1/orders/cart/lines", {"listing_id": str(listing), "quantity": 2}, format="json"
    )
    assert added.status_code in (200, 201), added.content
    outbox_before = OutboxMessage.objects.count()

    gateway_down(settings)
    response = checkout(client, key := str(uuid.uuid4()))

    assert response.status_code == 503, response.content
    body = response.json()
    assert body["data"] is None
    assert body["error"]["code"] == "payment_gateway_unavailable"
    assert body["error"]["message"]
    assert not CustomerOrder.objects.filter(customer_user_id=customer).exists()
    assert not VendorOrder.objects.filter(customer_user_id=customer).exists()
    assert available(listing) == 5  # nothing reserved
    assert OutboxMessage.objects.count() == outbox_before  # no order_placed, no stock event
    assert not stripe.sessions  # the gateway never saw a checkout session
    cart = client.get("/api/v1/orders/cart").json()["data"]
    assert [(line["listing_id"], line["quantity"]) for line in cart["lines"]] == [(str(listing), 2)]

    # the gateway is back: the same request goes through, once
    gateway_up(settings, stripe)
    placed = checkout(client, key)
    assert placed.status_code == 201, placed.content
    order = placed.json()["data"]
    assert order["status"] == "pending_payment" and order["total_minor"] == 5000
    assert order["payment_url"].startswith("https://checkout.stripe.com/")
    assert available(listing) == 3
    assert CustomerOrder.objects.filter(customer_user_id=customer).count() == 1
    assert len(stripe.sessions) == 1


def _paid_over_stripe(client: Client, stripe: FakeStripe, customer: UUID, listing: UUID) -> UUID:
    """Cart, checkout, the customer pays on (fake) Stripe, Stripe's signed webhook."""
    client.post(
        "/api/v1/orders/cart/lines", {"listing_id": str(listing), "quantity": 1}, format="json"
    )
    placed = checkout(client, str(uuid.uuid4()))
    assert placed.status_code == 201, placed.content
    order_id = UUID(placed.json()["data"]["order_id"])
    payment = payments.payment_get(payment_id=UUID(placed.json()["data"]["payment_id"]))
    assert payment is not None
    (session_id,) = [
        sid for sid, s in stripe.sessions.items() if s["client_reference_id"] == str(payment.id)
    ]
    payload = stripe.event("checkout.session.completed", stripe.pay(session_id))
    webhook = Client().post(
        STRIPE_WEBHOOK,
        data=payload.encode(),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe.sign(payload),
    )
    assert webhook.status_code == 200, webhook.content
    assert CustomerOrder.objects.get(pk=order_id).status == "paid"
    return order_id


def test_a_refund_the_gateway_could_not_take_is_sent_by_the_retry_task_once_it_is_back(
    stripe: FakeStripe, settings: Any
) -> None:
    shop = support.make_shop()
    listing = support.make_listing(shop, stock=2, price_minor=3100)
    customer = support.make_customer()
    client = logged_in(customer)
    order_id = _paid_over_stripe(client, stripe, customer, listing)

    gateway_down(settings)
    with support.committed():
        cancelled = lifecycle.order_cancel(
            order_id=order_id, reason="customer", customer_user_id=customer
        )
    assert cancelled.status == "cancelled"
    refund = OrderRefund.objects.get(vendor_order__order_id=order_id)
    assert refund.issued_at is None and refund.amount_minor == 3100  # held, not sent
    order = CustomerOrder.objects.get(pk=order_id)
    assert order.payment_id is not None
    summary = payments.payment_get(payment_id=order.payment_id)
    assert summary is not None and summary.refunded_minor == 0
    assert not stripe.refunds
    assert not OutboxMessage.objects.filter(event_type="orders.refund_issued").exists()

    # still down: the task tries, keeps the hold, raises nothing
    with support.committed():
        assert orders_refunds_retry_task.delay().get(timeout=30) == 1
    refund.refresh_from_db()
    assert refund.issued_at is None and not stripe.refunds

    gateway_up(settings, stripe)
    with support.committed():
        assert orders_refunds_retry_task.delay().get(timeout=30) == 1
    refund.refresh_from_db()
    assert refund.issued_at is not None and refund.payment_refund_id is not None
    assert len(stripe.refunds) == 1
    (sent,) = stripe.refunds.values()
    assert int(sent["amount"]) == 3100
    summary = payments.payment_get(payment_id=order.payment_id)
    assert summary is not None and summary.refunded_minor == 3100
    issued = OutboxMessage.objects.filter(event_type="orders.refund_issued")
    assert [m.message["payload"]["amount_minor"] for m in issued] == [3100]

    # nothing left to send: the next run does nothing, the money went back once
    with support.committed():
        assert orders_refunds_retry_task.delay().get(timeout=30) == 0
    assert len(stripe.refunds) == 1
