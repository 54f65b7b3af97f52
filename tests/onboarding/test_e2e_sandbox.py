"""Vendor onboarding end to end over real HTTP with the sandbox gateway, events in-process:

register (one call) -> the sandbox's hosted payment page -> approve -> the sandbox POSTs a
signed webhook to the live server -> payments publishes payment_succeeded ->
subscriptions activates -> vendors activates -> the vendor creates stores within its plan.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from contexts.payments.models import Payment, SandboxCheckout
from contexts.payments.services import sandbox
from contexts.subscriptions.models import Subscription
from contexts.subscriptions.services.plans import plan_ensure_defaults
from contexts.vendors.models import Vendor
from tests.onboarding.support import Http, sandbox_decide, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any, settings: Any) -> Iterator[Http]:
    plan_ensure_defaults()  # a flushed (transactional) database lost the migration's plans
    settings.SITE_URL = live_server.url  # the sandbox page and its webhooks point here
    settings.BAZAAR_TOKENS = {**settings.BAZAAR_TOKENS, "ISSUER": live_server.url}
    settings.CSRF_COOKIE_SECURE = False
    settings.SUBSCRIPTIONS_CHECKOUT_SUCCESS_URL = f"{live_server.url}/paid"
    settings.SUBSCRIPTIONS_CHECKOUT_CANCEL_URL = f"{live_server.url}/cancelled"
    http = Http(live_server.url)
    yield http
    http.close()
    sandbox.sandbox_deliveries_wait(timeout=20)


def _post_webhook(site: Http, body: bytes, header: str) -> requests.Response:
    return site.session.post(
        f"{site.base}/api/v1/payments/webhooks/sandbox",
        data=body,
        headers={"Content-Type": "application/json", sandbox.SIGNATURE_HEADER: header},
        timeout=30,
    )


def test_register_pay_on_the_hosted_page_and_sell_within_the_plan(site):
    result, body, key = site.register(plan="growth")
    assert result["next_action"] == "pay"
    assert result["payment"]["url"].startswith(f"{site.base}/api/v1/payments/sandbox/")
    site.login(body["email"])
    assert site.data("GET", "/api/v1/subscriptions/current")["status"] == "pending_payment"

    decided = sandbox_decide(result["payment"]["url"], "approve")
    assert decided.status_code == 302
    assert decided.headers["Location"] == f"{site.base}/paid"

    current = wait_for(
        lambda: (
            (s := site.data("GET", "/api/v1/subscriptions/current"))["status"] == "active" and s
        ),
        what="the subscription to activate after the webhook",
    )
    assert current["plan"] == "growth"
    # The vendor follows the subscription through the next event (subscription_activated,
    # delivered with that event's other handlers, e.g. its notification): eventually.
    wait_for(
        lambda: site.data("GET", "/api/v1/vendors/me")["vendor"]["status"] == "active",
        what="the vendor to activate after the subscription",
    )
    for n in range(2):
        created = site.call(
            "POST",
            "/api/v1/vendors/stores/create",
            {"name": f"Branch {n}", "slug": f"{body['store']['slug']}-{n}", "currency": "EUR"},
        )
        assert created.status_code == 201, created.text
        assert int(created.headers["RateLimit-Limit"]) == 300
    refused = site.call(
        "POST",
        "/api/v1/vendors/stores/create",
        {"name": "One too many", "slug": f"{body['store']['slug']}-x", "currency": "EUR"},
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["limit"] == {
        "resource": "stores",
        "max": 3,
        "used": 3,
        "plan": "growth",
    }
    # the registration, repeated with its key, answers as the first time and makes nothing
    site.token = ""
    again = site.call("POST", "/api/v1/vendors/register", body, **{"Idempotency-Key": key})
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["data"] == result
    assert Vendor.objects.count() == 1
    assert Subscription.objects.count() == 1


def test_forged_stale_replayed_and_late_webhooks_change_nothing(site):
    result, body, _ = site.register(plan="pro")
    payment = Payment.objects.get(pk=result["payment"]["payment_id"])
    checkout = sandbox.sandbox_checkout_decide(checkout_id=payment.gateway_session_id, approve=True)
    webhook = sandbox.sandbox_webhook_body(checkout)
    secret = sandbox.sandbox_webhook_secret()

    forged = _post_webhook(
        site, webhook, sandbox.sandbox_sign(body=webhook, secret="sbxsec_forged")
    )
    assert forged.status_code == 400
    stale = _post_webhook(
        site,
        webhook,
        sandbox.sandbox_sign(body=webhook, secret=secret, timestamp=int(time.time()) - 3600),
    )
    assert stale.status_code == 400
    assert Subscription.objects.get().status == "pending_payment"

    good = sandbox.sandbox_sign(body=webhook, secret=secret)
    assert _post_webhook(site, webhook, good).status_code == 200
    assert Subscription.objects.get().status == "active"
    activated_at = Subscription.objects.get().activated_at
    # the exact signed request again (a captured request replayed): refused
    replayed = _post_webhook(site, webhook, good)
    assert (replayed.status_code, replayed.json()["error"]["code"]) == (409, "webhook_replayed")
    # the same event freshly signed (a gateway retry): accepted, applied once
    wait_for(lambda: int(time.time()) > int(good.split(",")[0][2:]), what="a new second")
    retry = sandbox.sandbox_sign(body=webhook, secret=secret)
    assert _post_webhook(site, webhook, retry).status_code == 200
    # a decline for the same checkout arriving after the approval (out of order)
    late = json.loads(webhook)
    late.update(id=f"{late['id']}-late", type="checkout.declined")
    late["data"].update(reason="declined_by_tester", payment_reference="")
    late_body = json.dumps(late, separators=(",", ":")).encode()
    response = _post_webhook(site, late_body, sandbox.sandbox_sign(body=late_body, secret=secret))
    assert response.status_code < 500
    sub = Subscription.objects.get()
    assert (sub.status, sub.activated_at) == ("active", activated_at)
    assert Vendor.objects.get().status == "active"
    site.login(body["email"])
    charges = site.data("GET", f"/api/v1/subscriptions/{sub.pk}/charges")
    assert [(c["kind"], c["status"]) for c in charges] == [("initial", "paid")]


def test_a_declined_payment_leaves_a_pending_vendor_that_can_pay_again(site):
    result, body, _ = site.register(plan="growth")
    declined = sandbox_decide(result["payment"]["url"], "decline")
    assert declined.status_code == 302
    payment_id = result["payment"]["payment_id"]
    wait_for(lambda: Payment.objects.get(pk=payment_id).status == "failed", what="the decline")
    sandbox.sandbox_deliveries_wait(timeout=20)
    site.login(body["email"])
    sub = site.data("GET", "/api/v1/subscriptions/current")
    assert sub["status"] == "pending_payment"
    fresh = site.data("POST", f"/api/v1/subscriptions/{sub['id']}/checkout")
    assert fresh["payment_id"] != payment_id
    sandbox_decide(fresh["url"], "approve")
    wait_for(
        lambda: site.data("GET", "/api/v1/subscriptions/current")["status"] == "active",
        what="activation after the second link",
    )
    assert SandboxCheckout.objects.count() == 2
