"""Vendor onboarding end to end over real HTTP with the Stripe gateway, against the local
fake Stripe server (it speaks Stripe's HTTP API; the payer and Stripe's webhook sender
are played by the test). Also: a gateway that refuses the amount after the account,
vendor and subscription exist -> the saga compensates and says what to do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from contexts.auth import facade as auth
from contexts.payments.tests.fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe
from contexts.subscriptions.models import Subscription
from contexts.subscriptions.services.plans import plan_create, plan_ensure_defaults
from contexts.vendors.models import Onboarding, Store, Vendor
from tests.onboarding.support import Http, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[FakeStripe]:
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture
def site(live_server: Any, settings: Any, stripe_server: FakeStripe) -> Iterator[Http]:
    plan_ensure_defaults()
    settings.SITE_URL = live_server.url
    settings.BAZAAR_TOKENS = {**settings.BAZAAR_TOKENS, "ISSUER": live_server.url}
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stripe_server.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.PAYMENTS_GATEWAY_TIMEOUT_SECONDS = 5
    http = Http(live_server.url)
    yield http
    http.close()


def _stripe_webhook(site: Http, fake: FakeStripe, event_type: str, session: dict[str, Any]) -> int:
    payload = fake.event(event_type, session)
    response = site.session.post(
        f"{site.base}/api/v1/payments/webhooks/stripe",
        data=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": fake.sign(payload)},
        timeout=30,
    )
    return response.status_code


def test_register_pay_at_stripe_and_sell_within_the_plan(site, stripe_server):
    result, body, _ = site.register(plan="pro", currency="GBP")
    assert result["payment"]["url"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert (result["payment"]["amount_minor"], result["payment"]["currency"]) == (8500, "GBP")
    session_id = result["payment"]["url"].rsplit("/", 1)[1]
    sent = stripe_server.sessions[session_id]
    assert (sent["amount_total"], sent["currency"]) == (8500, "gbp")

    session = stripe_server.pay(session_id)
    assert _stripe_webhook(site, stripe_server, "checkout.session.completed", session) == 200

    site.login(body["email"])
    wait_for(
        lambda: site.data("GET", "/api/v1/subscriptions/current")["status"] == "active",
        what="activation",
    )
    # The vendor follows the subscription through the next event (subscription_activated,
    # delivered with that event's other handlers, e.g. its notification): eventually.
    wait_for(
        lambda: site.data("GET", "/api/v1/vendors/me")["vendor"]["status"] == "active",
        what="the vendor to activate after the subscription",
    )
    for n in range(9):  # pro: 10 stores
        created = site.call(
            "POST",
            "/api/v1/vendors/stores/create",
            {"name": f"Branch {n}", "slug": f"{body['store']['slug']}-{n}", "currency": "GBP"},
        )
        assert created.status_code == 201, created.text
    refused = site.call(
        "POST",
        "/api/v1/vendors/stores/create",
        {"name": "Eleventh", "slug": f"{body['store']['slug']}-x", "currency": "GBP"},
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["limit"]["max"] == 10
    # an expiry notice for the paid session afterwards changes nothing
    late = {**session, "status": "expired"}
    assert _stripe_webhook(site, stripe_server, "checkout.session.expired", late) < 500
    assert Subscription.objects.get().status == "active"


def test_a_refused_amount_is_compensated_and_the_answer_says_what_to_do(site, stripe_server):
    # a plan cheaper than Stripe's minimum charge: Stripe refuses the checkout session
    plan_create(
        code="penny",
        name="Penny",
        prices={"EUR": 10},
        max_products=1,
        max_stores=1,
        max_staff_seats=1,
        api_requests_per_minute=10,
    )
    import uuid

    key = str(uuid.uuid4())
    tag = f"p{uuid.uuid4().hex[:8]}"
    body = {
        "email": f"{tag}@example.test",
        "full_name": "Penny Pincher",
        "password": "Qz7!mango-Tulip-93",
        "legal_name": "Penny Ltd",
        "plan": "penny",
        "store": {"name": "Penny", "slug": tag, "currency": "EUR"},
    }
    response = site.call("POST", "/api/v1/vendors/register", body, **{"Idempotency-Key": key})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "payment_gateway_rejected"
    assert error["retry"]["same_idempotency_key"] is False
    assert "log in" in error["retry"]["action"]
    # compensated: no vendor, no store, the subscription cancelled as abandoned
    assert not Vendor.objects.exists()
    assert not Store.objects.exists()
    sub = Subscription.objects.get()
    assert sub.status == "cancelled"
    record = Onboarding.objects.get(idempotency_key=key)
    assert (record.status, record.error_step) == ("failed", "payment")
    # the account stays, its owner can log in, and the stored answer is replayed
    assert auth.user_id_for_email(email=body["email"]) is not None
    again = site.call("POST", "/api/v1/vendors/register", body, **{"Idempotency-Key": key})
    assert again.status_code == 422
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["error"]["code"] == "payment_gateway_rejected"
    # following the advice: logged in, a new key, a plan Stripe accepts
    site.login(body["email"])
    body["plan"] = "growth"
    for field in ("email", "full_name", "password"):
        body.pop(field)
    retried = site.call(
        "POST", "/api/v1/vendors/register", body, **{"Idempotency-Key": str(uuid.uuid4())}
    )
    assert retried.status_code == 201, retried.text
    assert Vendor.objects.count() == 1
