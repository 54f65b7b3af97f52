"""End to end over real HTTP: payment link -> sandbox hosted page -> tester decides ->
the sandbox delivers a signed webhook to our live server -> payment state + events."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from contexts.payments import facade
from contexts.payments.models import Payment, SandboxCheckout, WebhookEvent
from contexts.payments.services import sandbox
from contexts.payments.tasks import sandbox_deliver_webhook
from contexts.payments.tests.conftest import link, outbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture
def site(live_server, settings) -> str:
    settings.SITE_URL = live_server.url  # the sandbox page and its webhooks point here
    settings.CSRF_COOKIE_SECURE = False  # plain http here; production serves https
    return live_server.url


@pytest.fixture
def browser() -> Iterator[requests.Session]:
    # closed at the end: an open keep-alive connection pins a server thread and its
    # database connection, which would block dropping the test database
    with requests.Session() as session:
        yield session


def _decide(browser: requests.Session, url: str, decision: str) -> requests.Response:
    page = browser.get(url, timeout=10)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None
    form = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert form is not None
    action = requests.compat.urljoin(url, form.group(1))
    return browser.post(
        action,
        data={"csrfmiddlewaretoken": token.group(1), "decision": decision},
        headers={"Referer": url},
        allow_redirects=False,
        timeout=10,
    )


def test_approve_on_the_hosted_page_pays_through_a_delivered_webhook(site, browser):
    result = link(amount_minor=4250, currency="EUR", description="Pro plan")
    assert result.url.startswith(f"{site}/api/v1/payments/sandbox/sbx_cs_")
    page = browser.get(result.url, timeout=10)
    assert "42.50 EUR" in page.text
    assert "Pro plan" in page.text

    token = browser.cookies.get("csrftoken")
    response = _decide(browser, result.url, "approve")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://shop.example/paid"

    _until(lambda: Payment.objects.get(pk=result.payment_id).status == "succeeded")
    sandbox.sandbox_deliveries_wait()
    checkout = SandboxCheckout.objects.get(
        pk=Payment.objects.get(pk=result.payment_id).gateway_session_id
    )
    assert checkout.status == "approved"
    assert checkout.webhook_delivered_at is not None
    assert checkout.webhook_attempts == 1
    event = WebhookEvent.objects.get(signature_valid=True)
    assert (event.outcome, event.event_type) == ("processed", "checkout.approved")
    assert event.signature_header.startswith("t=")
    [published] = outbox("payments.payment_succeeded", result.payment_id)
    assert published["amount_minor"] == 4250
    summary = facade.payment_get(payment_id=result.payment_id)
    assert summary is not None
    assert summary.status == "succeeded"

    # the page now shows the outcome and refuses a second decision
    decided = browser.get(result.url, timeout=10)
    assert "approved" in decided.text
    assert "csrfmiddlewaretoken" not in decided.text
    again = browser.post(
        f"{result.url}/decision",
        data={"csrfmiddlewaretoken": token, "decision": "decline"},
        allow_redirects=False,
        timeout=10,
    )
    assert again.status_code == 409
    assert SandboxCheckout.objects.get().status == "approved"


def test_decline_fails_the_payment(site, browser):
    result = link(cancel_url="")
    response = _decide(browser, result.url, "decline")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/api/v1/payments/sandbox/{Payment.objects.get(pk=result.payment_id).gateway_session_id}"
    )
    _until(lambda: Payment.objects.get(pk=result.payment_id).status == "failed")
    sandbox.sandbox_deliveries_wait()
    assert len(outbox("payments.payment_failed", result.payment_id)) == 1


def test_a_post_without_the_csrf_token_is_refused(site):
    result = link()
    response = requests.post(
        f"{result.url}/decision", data={"decision": "approve"}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 403
    assert SandboxCheckout.objects.get().status == "open"


def test_the_celery_task_delivers_and_a_redelivery_is_a_duplicate(site):
    result = link()
    checkout_id = Payment.objects.get(pk=result.payment_id).gateway_session_id
    sandbox.sandbox_checkout_decide(checkout_id=checkout_id, approve=True)
    assert sandbox_deliver_webhook.apply(args=[checkout_id]).get() is True
    assert Payment.objects.get(pk=result.payment_id).status == "succeeded"
    # the admin's "redeliver" action: the same event, freshly signed -> a 2xx no-op
    SandboxCheckout.objects.filter(pk=checkout_id).update(webhook_delivered_at=None)
    time.sleep(1.1)  # a new signature timestamp needs a new second (the t= resolution)
    assert sandbox.sandbox_webhook_deliver(checkout_id=checkout_id) is True
    event = WebhookEvent.objects.get(signature_valid=True)
    assert event.deliveries == 2
    assert len(outbox("payments.payment_succeeded")) == 1
