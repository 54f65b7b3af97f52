"""The Stripe adapter against a local fake that speaks Stripe's HTTP API."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from contexts.payments import facade
from contexts.payments.models import Payment, PaymentAttempt, Refund, WebhookEvent
from contexts.payments.services.errors import PaymentGatewayRejected, PaymentGatewayUnavailable
from contexts.payments.tests.conftest import link, outbox, post_stripe_webhook
from contexts.payments.tests.fake_stripe import FakeStripe
from tests.conftest import free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _paid(stripe_fake: FakeStripe, api, **link_overrides) -> tuple[facade.PaymentLink, dict]:
    result = link(**link_overrides)
    session_id = Payment.objects.get(pk=result.payment_id).gateway_session_id
    session = stripe_fake.pay(session_id)
    payload = stripe_fake.event("checkout.session.completed", session)
    response = post_stripe_webhook(api, payload, stripe_fake.sign(payload))
    assert response.status_code == 200, response.content
    return result, session


def test_a_link_is_a_checkout_session_created_through_the_sdk(stripe_fake):
    reference = uuid.uuid4()
    result = link(reference_id=reference, amount_minor=2900, currency="EUR")
    assert result.gateway == "stripe"
    assert result.url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [request] = stripe_fake.requests
    assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
    assert request.headers["authorization"] == "Bearer sk_test_fake_bazaar"
    assert request.headers["idempotency-key"] == f"bazaar-payment-{result.payment_id}"
    params = request.params
    assert params["mode"] == "payment"
    assert params["client_reference_id"] == str(result.payment_id)
    assert params["metadata"] == {"payment_id": str(result.payment_id)}
    assert params["payment_intent_data"]["metadata"]["payment_id"] == str(result.payment_id)
    assert params["customer_email"] == "vera@example.com"
    assert params["success_url"] == "https://shop.example/paid"
    assert params["line_items"][0]["price_data"] == {
        "currency": "eur",
        "unit_amount": "2900",
        "product_data": {"name": "Bazaar Pro plan, first month"},
    }
    payment = Payment.objects.get(pk=result.payment_id)
    assert payment.gateway_session_id in stripe_fake.sessions


def test_the_same_key_does_not_call_stripe_twice(stripe_fake):
    arguments = {"reference_id": uuid.uuid4(), "idempotency_key": "stripe-once"}
    assert link(**arguments) == link(**arguments)
    assert len(stripe_fake.requests) == 1
    assert len(stripe_fake.sessions) == 1


def test_an_unreachable_stripe_is_a_503_with_a_recorded_failed_attempt(stripe_fake, settings):
    from contexts.payments.services.gateways import stripe_adapter

    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    stripe_adapter._client.cache_clear()
    with pytest.raises(PaymentGatewayUnavailable) as caught:
        link(idempotency_key="down-1")
    assert (caught.value.status_code, caught.value.code) == (503, "payment_gateway_unavailable")
    assert not Payment.objects.exists()
    attempt = PaymentAttempt.objects.get()
    assert (attempt.status, attempt.error_code, attempt.payment_id) == (
        "failed",
        "gateway_unavailable",
        None,
    )
    assert attempt.finished_at is not None
    # back up: the same key now succeeds, and the payment has the id planned from the start
    settings.STRIPE_API_BASE = stripe_fake.url
    stripe_adapter._client.cache_clear()
    result = link(idempotency_key="down-1")
    assert result.payment_id == attempt.payment_ref
    assert (
        PaymentAttempt.objects.filter(status="succeeded", payment_id=result.payment_id).count() == 1
    )


def test_a_stripe_5xx_is_a_503_and_nothing_is_half_made(stripe_fake):
    stripe_fake.fail_next.append(500)
    with pytest.raises(PaymentGatewayUnavailable):
        link()
    assert not Payment.objects.exists()
    assert PaymentAttempt.objects.get().status == "failed"


def test_a_request_stripe_refuses_is_a_422(stripe_fake):
    with pytest.raises(PaymentGatewayRejected) as caught:
        link(amount_minor=10, currency="USD")  # below Stripe's $0.50 minimum
    assert caught.value.status_code == 422
    assert "at least" in caught.value.message
    assert not Payment.objects.exists()
    assert PaymentAttempt.objects.get().error_code == "amount_too_small"


def test_a_signed_completed_event_marks_the_payment_succeeded(stripe_fake, api):
    result, session = _paid(stripe_fake, api)
    payment = Payment.objects.get(pk=result.payment_id)
    assert payment.status == "succeeded"
    assert payment.gateway_payment_id == session["payment_intent"]
    [published] = outbox("payments.payment_succeeded", result.payment_id)
    assert published["gateway"] == "stripe"
    assert published["gateway_payment_id"] == session["payment_intent"]
    event = WebhookEvent.objects.get(signature_valid=True)
    assert event.event_type == "checkout.session.completed"


def test_an_unpaid_completed_session_waits_for_the_async_result(stripe_fake, api):
    result = link()
    session = dict(
        stripe_fake.sessions[Payment.objects.get(pk=result.payment_id).gateway_session_id]
    )
    session.update(status="complete", payment_status="unpaid")
    payload = stripe_fake.event("checkout.session.completed", session)
    assert post_stripe_webhook(api, payload, stripe_fake.sign(payload)).status_code == 200
    assert Payment.objects.get(pk=result.payment_id).status == "pending"
    session.update(payment_status="unpaid", payment_intent="pi_async")
    failed = stripe_fake.event("checkout.session.async_payment_failed", session)
    assert post_stripe_webhook(api, failed, stripe_fake.sign(failed)).status_code == 200
    stored = Payment.objects.get(pk=result.payment_id)
    assert (stored.status, stored.failure_reason) == ("failed", "async_payment_failed")


def test_an_expired_session_fails_the_payment_but_never_a_paid_one(stripe_fake, api):
    result, session = _paid(stripe_fake, api)
    expired = stripe_fake.event("checkout.session.expired", {**session, "status": "expired"})
    assert post_stripe_webhook(api, expired, stripe_fake.sign(expired)).status_code == 200
    assert Payment.objects.get(pk=result.payment_id).status == "succeeded"
    assert not outbox("payments.payment_failed")


def test_stripe_webhook_security(stripe_fake, api):
    result = link()
    session = stripe_fake.pay(Payment.objects.get(pk=result.payment_id).gateway_session_id)
    payload = stripe_fake.event("checkout.session.completed", session, event_id="evt_sec")

    forged = post_stripe_webhook(api, payload, stripe_fake.sign(payload, secret="whsec_wrong"))
    assert (forged.status_code, forged.json()["error"]["code"]) == (
        400,
        "webhook_signature_invalid",
    )
    stale = post_stripe_webhook(
        api, payload, stripe_fake.sign(payload, timestamp=int(time.time()) - 600)
    )
    assert (stale.status_code, stale.json()["error"]["code"]) == (400, "webhook_timestamp_stale")
    missing = post_stripe_webhook(api, payload, None)
    assert (missing.status_code, missing.json()["error"]["code"]) == (
        400,
        "webhook_signature_missing",
    )
    garbage = "{definitely not json"
    malformed = post_stripe_webhook(api, garbage, stripe_fake.sign(garbage))
    assert (malformed.status_code, malformed.json()["error"]["code"]) == (
        400,
        "webhook_payload_malformed",
    )
    assert Payment.objects.get(pk=result.payment_id).status == "pending"
    assert WebhookEvent.objects.filter(outcome="rejected").count() == 4

    header = stripe_fake.sign(payload)
    assert post_stripe_webhook(api, payload, header).status_code == 200
    replay = post_stripe_webhook(api, payload, header)
    assert (replay.status_code, replay.json()["error"]["code"]) == (409, "webhook_replayed")
    redelivery = post_stripe_webhook(
        api, payload, stripe_fake.sign(payload, timestamp=int(time.time()) + 2)
    )
    assert redelivery.json()["data"]["status"] == "duplicate"
    assert len(outbox("payments.payment_succeeded")) == 1


def test_refund_through_stripe(stripe_fake, api):
    result, session = _paid(stripe_fake, api)
    refund = facade.refund_create(
        payment_id=result.payment_id, amount_minor=900, reason="damaged", idempotency_key="rf-1"
    )
    assert (refund.status, refund.amount_minor, refund.currency) == ("succeeded", 900, "EUR")
    request = stripe_fake.requests[-1]
    assert (request.method, request.path) == ("POST", "/v1/refunds")
    assert request.params["payment_intent"] == session["payment_intent"]
    assert request.params["amount"] == "900"
    assert request.params["metadata"]["refund_id"] == str(refund.refund_id)
    assert request.headers["idempotency-key"] == f"bazaar-refund-{refund.refund_id}"
    summary = facade.payment_get(payment_id=result.payment_id)
    assert summary is not None
    assert (summary.status, summary.refunded_minor) == ("partially_refunded", 900)
    [published] = outbox("payments.refund_succeeded")
    assert published["refund_id"] == str(refund.refund_id)
    assert published["refunded_total_minor"] == 900


def test_refund_looks_up_the_payment_intent_when_the_webhook_did_not_carry_it(stripe_fake, api):
    result, session = _paid(stripe_fake, api)
    Payment.objects.filter(pk=result.payment_id).update(gateway_payment_id="")
    refund = facade.refund_create(
        payment_id=result.payment_id, amount_minor=2900, reason="r", idempotency_key="rf-lookup"
    )
    assert refund.status == "succeeded"
    assert [(r.method, r.path) for r in stripe_fake.requests[-2:]] == [
        ("GET", f"/v1/checkout/sessions/{session['id']}"),
        ("POST", "/v1/refunds"),
    ]
    assert facade.payment_get(payment_id=result.payment_id).status == "refunded"


def test_a_pending_stripe_refund_completes_by_webhook(stripe_fake, api):
    result, _ = _paid(stripe_fake, api)
    stripe_fake.refund_status = "pending"
    refund = facade.refund_create(
        payment_id=result.payment_id, amount_minor=2900, reason="r", idempotency_key="rf-pending"
    )
    assert refund.status == "pending"
    assert facade.payment_get(payment_id=result.payment_id).refunded_minor == 0
    # the pending refund holds its amount: nothing more can be refunded meanwhile
    from bazaar_platform.api.errors import ApplicationError

    with pytest.raises(ApplicationError) as caught:
        facade.refund_create(
            payment_id=result.payment_id, amount_minor=1, reason="r", idempotency_key="rf-more"
        )
    assert caught.value.code == "refund_exceeds_refundable"
    stripe_refund = stripe_fake.refunds[Refund.objects.get(pk=refund.refund_id).gateway_refund_id]
    payload = stripe_fake.event("refund.updated", {**stripe_refund, "status": "succeeded"})
    response = post_stripe_webhook(api, payload, stripe_fake.sign(payload))
    assert response.json()["data"]["status"] == "processed"
    summary = facade.payment_get(payment_id=result.payment_id)
    assert summary is not None
    assert (summary.status, summary.refunded_minor) == ("refunded", 2900)
    assert len(outbox("payments.refund_succeeded")) == 1


def test_a_refund_when_stripe_is_down_is_503_and_can_be_retried(stripe_fake, api):
    result, _ = _paid(stripe_fake, api)
    stripe_fake.fail_next.append(503)
    with pytest.raises(PaymentGatewayUnavailable):
        facade.refund_create(
            payment_id=result.payment_id, amount_minor=500, reason="r", idempotency_key="rf-down"
        )
    refund = Refund.objects.get()
    assert (refund.status, refund.failure_reason) == ("failed", "gateway_unavailable")
    assert Payment.objects.get(pk=result.payment_id).refunded_minor == 0
    retried = facade.refund_create(
        payment_id=result.payment_id, amount_minor=500, reason="r", idempotency_key="rf-down"
    )
    assert retried.status == "succeeded"
    assert Refund.objects.get().attempts == 2
    assert Payment.objects.get(pk=result.payment_id).refunded_minor == 500
    assert len(stripe_fake.refunds) == 1


def test_stripe_events_we_do_not_handle_are_acknowledged(stripe_fake, api):
    payload = json.dumps(
        {
            "id": "evt_cust",
            "object": "event",
            "type": "customer.created",
            "data": {"object": {"id": "cus_1"}},
        }
    )
    response = post_stripe_webhook(api, payload, stripe_fake.sign(payload))
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "ignored"


def test_a_refund_webhook_is_matched_by_our_id_when_the_gateway_id_is_not_recorded_yet(
    stripe_fake, api
):
    result, _ = _paid(stripe_fake, api)
    stripe_fake.refund_status = "pending"
    refund = facade.refund_create(
        payment_id=result.payment_id, amount_minor=1000, reason="r", idempotency_key="rf-race"
    )
    stored = Refund.objects.get(pk=refund.refund_id)
    stripe_refund = stripe_fake.refunds[stored.gateway_refund_id]
    # as if the webhook overtook the answer to our refund call
    Refund.objects.filter(pk=stored.pk).update(gateway_refund_id="")
    payload = stripe_fake.event("refund.updated", {**stripe_refund, "status": "succeeded"})
    response = post_stripe_webhook(api, payload, stripe_fake.sign(payload))
    assert response.json()["data"]["status"] == "processed"
    stored.refresh_from_db()
    assert (stored.status, stored.gateway_refund_id) == ("succeeded", stripe_refund["id"])


def test_a_failed_stripe_refund_releases_the_amount(stripe_fake, api):
    result, _ = _paid(stripe_fake, api)
    stripe_fake.refund_status = "pending"
    refund = facade.refund_create(
        payment_id=result.payment_id, amount_minor=2900, reason="r", idempotency_key="rf-fail"
    )
    stripe_refund = stripe_fake.refunds[Refund.objects.get(pk=refund.refund_id).gateway_refund_id]
    stripe_refund.update(status="failed", failure_reason="expired_or_canceled_card")  # at Stripe
    payload = stripe_fake.event("refund.failed", stripe_refund)
    assert post_stripe_webhook(api, payload, stripe_fake.sign(payload)).status_code == 200
    stored = Refund.objects.get(pk=refund.refund_id)
    assert (stored.status, stored.failure_reason) == ("failed", "expired_or_canceled_card")
    payment = Payment.objects.get(pk=result.payment_id)
    assert (payment.status, payment.refunded_minor) == ("succeeded", 0)
    assert not outbox("payments.refund_succeeded")
    # the amount is free again
    stripe_fake.refund_status = "succeeded"
    again = facade.refund_create(
        payment_id=result.payment_id, amount_minor=2900, reason="r", idempotency_key="rf-fail-2"
    )
    assert again.status == "succeeded"
