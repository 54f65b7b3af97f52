"""Sandbox webhooks: verification, dedup, replay, ordering, unknown payments, events."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from contexts.payments.models import Payment, SandboxCheckout, WebhookEvent
from contexts.payments.services import sandbox
from contexts.payments.tests.conftest import (
    link,
    outbox,
    post_sandbox_webhook,
    sandbox_decision,
    sandbox_resign,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SUCCEEDED = "payments.payment_succeeded"
FAILED = "payments.payment_failed"


def _error(response) -> str:
    return response.json()["error"]["code"]


def test_an_approval_webhook_marks_the_payment_succeeded_and_publishes_once(
    api, django_capture_on_commit_callbacks
):
    payment = link(payer_email="Payer@Example.com")
    hook = sandbox_decision(payment.payment_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_sandbox_webhook(api, hook.body, hook.header)
    assert response.status_code == 200, response.content
    assert response.json()["data"]["status"] == "processed"
    stored = Payment.objects.get(pk=payment.payment_id)
    assert stored.status == "succeeded"
    assert stored.succeeded_at is not None
    checkout = SandboxCheckout.objects.get(pk=stored.gateway_session_id)
    assert stored.gateway_payment_id == checkout.payment_reference
    event = WebhookEvent.objects.get(signature_valid=True)
    assert event.provider_event_id == checkout.event_id
    assert event.outcome == "processed"
    assert event.processed_at is not None
    assert event.payment_id == payment.payment_id
    assert json.loads(event.raw_body)["type"] == "checkout.approved"
    [published] = outbox(SUCCEEDED, payment.payment_id)
    assert published == {
        "payment_id": str(payment.payment_id),
        "purpose": "subscription",
        "reference_id": str(stored.reference_id),
        "amount_minor": 2900,
        "currency": "EUR",
        "gateway": "sandbox",
        "gateway_payment_id": checkout.payment_reference,
        "payer_email": "Payer@Example.com",
        "payer_user_id": None,
    }


def test_a_decline_webhook_marks_the_payment_failed(api):
    payment = link()
    hook = sandbox_decision(payment.payment_id, approve=False)
    response = post_sandbox_webhook(api, hook.body, hook.header)
    assert response.status_code == 200
    stored = Payment.objects.get(pk=payment.payment_id)
    assert stored.status == "failed"
    assert stored.failure_reason == "declined_by_tester"
    [published] = outbox(FAILED, payment.payment_id)
    assert published["reason"] == "declined_by_tester"
    assert not outbox(SUCCEEDED)


def test_a_gateway_redelivery_is_a_2xx_no_op(api):
    payment = link()
    hook = sandbox_decision(payment.payment_id)
    assert post_sandbox_webhook(api, hook.body, hook.header).status_code == 200
    # the gateway signs every delivery afresh: a retry carries a new timestamp
    retry = sandbox_resign(hook.body, timestamp=int(time.time()) + 1)
    response = post_sandbox_webhook(api, hook.body, retry)
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "duplicate"
    event = WebhookEvent.objects.get(signature_valid=True)
    assert event.deliveries == 2
    assert len(outbox(SUCCEEDED)) == 1


def test_a_replayed_delivery_is_refused_with_409(api):
    payment = link()
    hook = sandbox_decision(payment.payment_id)
    assert post_sandbox_webhook(api, hook.body, hook.header).status_code == 200
    response = post_sandbox_webhook(api, hook.body, hook.header)  # byte-for-byte again
    assert response.status_code == 409
    assert _error(response) == "webhook_replayed"
    assert WebhookEvent.objects.get(signature_valid=True).deliveries == 1
    replay = WebhookEvent.objects.get(outcome="rejected")
    assert replay.error.startswith("webhook_replayed")
    assert len(outbox(SUCCEEDED)) == 1


def test_a_forged_signature_is_refused_recorded_and_changes_nothing(api):
    payment = link()
    hook = sandbox_decision(payment.payment_id)
    forged = sandbox_resign(hook.body, secret="not-the-secret")
    response = post_sandbox_webhook(api, hook.body, forged)
    assert response.status_code == 400
    assert _error(response) == "webhook_signature_invalid"
    assert Payment.objects.get(pk=payment.payment_id).status == "pending"
    rejected = WebhookEvent.objects.get()
    assert (rejected.signature_valid, rejected.outcome) == (False, "rejected")
    assert rejected.provider_event_id == ""
    assert not outbox(SUCCEEDED)
    # the forged delivery did not take the event id: the genuine one still goes through
    assert post_sandbox_webhook(api, hook.body, hook.header).status_code == 200
    assert Payment.objects.get(pk=payment.payment_id).status == "succeeded"


def test_a_tampered_body_is_refused(api):
    payment = link()
    hook = sandbox_decision(payment.payment_id)
    tampered = hook.body.replace(b'"amount_minor":2900', b'"amount_minor":1')
    assert tampered != hook.body
    response = post_sandbox_webhook(api, tampered, hook.header)
    assert response.status_code == 400
    assert _error(response) == "webhook_signature_invalid"
    assert Payment.objects.get(pk=payment.payment_id).status == "pending"


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=notanumber,v1=abc", "nonsense"])
def test_a_missing_or_malformed_signature_header_is_refused(api, header):
    payment = link()
    hook = sandbox_decision(payment.payment_id)
    response = post_sandbox_webhook(api, hook.body, header)
    assert response.status_code == 400
    assert _error(response) in {"webhook_signature_missing", "webhook_signature_invalid"}
    assert Payment.objects.get(pk=payment.payment_id).status == "pending"


@pytest.mark.parametrize("age", [301, 3600, -400])
def test_a_stale_or_future_timestamp_is_refused(api, age):
    payment = link()
    hook = sandbox_decision(payment.payment_id)
    old = sandbox_resign(hook.body, timestamp=int(time.time()) - age)
    response = post_sandbox_webhook(api, hook.body, old)
    assert response.status_code == 400
    assert _error(response) == "webhook_timestamp_stale"
    assert Payment.objects.get(pk=payment.payment_id).status == "pending"
    assert not WebhookEvent.objects.filter(signature_valid=True).exists()


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"id": "evt_1"}', b'{"id": "", "type": "x", "data": {}}', b"\xff\xfe"],
)
def test_a_well_signed_but_malformed_body_is_refused(api, body):
    response = post_sandbox_webhook(api, body, sandbox_resign(body))
    assert response.status_code == 400
    assert _error(response) == "webhook_payload_malformed"
    rejected = WebhookEvent.objects.get()
    assert (rejected.signature_valid, rejected.outcome) == (True, "rejected")


def test_failed_after_succeeded_does_not_regress_the_payment(api):
    payment = link()
    approved = sandbox_decision(payment.payment_id)
    stored = Payment.objects.get(pk=payment.payment_id)
    # a decline for the same checkout arriving late (its own event id)
    late_decline = json.dumps(
        {
            "id": f"evt_sbx_{uuid.uuid4().hex}",
            "type": "checkout.declined",
            "data": {
                "checkout_id": stored.gateway_session_id,
                "client_reference_id": str(stored.pk),
                "amount_minor": 2900,
                "currency": "EUR",
                "reason": "declined_by_tester",
            },
        }
    ).encode()
    assert post_sandbox_webhook(api, approved.body, approved.header).status_code == 200
    response = post_sandbox_webhook(api, late_decline, sandbox_resign(late_decline))
    assert response.status_code == 200
    assert "no change" in response.json()["data"]["detail"]
    assert Payment.objects.get(pk=payment.payment_id).status == "succeeded"
    assert not outbox(FAILED)
    assert len(outbox(SUCCEEDED)) == 1


def test_succeeded_after_failed_is_honoured(api):
    payment = link()
    stored = Payment.objects.get(pk=payment.payment_id)
    decline = json.dumps(
        {
            "id": "evt_sbx_decline_first",
            "type": "checkout.declined",
            "data": {"checkout_id": stored.gateway_session_id, "reason": "card_declined"},
        }
    ).encode()
    assert post_sandbox_webhook(api, decline, sandbox_resign(decline)).status_code == 200
    assert Payment.objects.get(pk=payment.payment_id).status == "failed"
    approved = sandbox_decision(payment.payment_id)
    assert post_sandbox_webhook(api, approved.body, approved.header).status_code == 200
    assert Payment.objects.get(pk=payment.payment_id).status == "succeeded"
    assert len(outbox(FAILED)) == 1
    assert len(outbox(SUCCEEDED)) == 1


def test_a_webhook_for_an_unknown_payment_is_recorded_and_acknowledged_but_ignored(api):
    body = json.dumps(
        {
            "id": "evt_sbx_unknown",
            "type": "checkout.approved",
            "data": {
                "checkout_id": "sbx_cs_nobody",
                "client_reference_id": str(uuid.uuid4()),
                "amount_minor": 100,
                "currency": "EUR",
            },
        }
    ).encode()
    response = post_sandbox_webhook(api, body, sandbox_resign(body))
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "ignored"
    event = WebhookEvent.objects.get()
    assert (event.outcome, event.error, event.payment_id) == ("ignored", "unknown payment", None)
    assert not outbox(SUCCEEDED)


def test_an_amount_that_differs_from_the_payment_is_not_taken_as_paid(api):
    payment = link(amount_minor=2900)
    stored = Payment.objects.get(pk=payment.payment_id)
    body = json.dumps(
        {
            "id": "evt_sbx_cheap",
            "type": "checkout.approved",
            "data": {
                "checkout_id": stored.gateway_session_id,
                "payment_reference": "sbx_pay_x",
                "amount_minor": 1,
                "currency": "EUR",
            },
        }
    ).encode()
    response = post_sandbox_webhook(api, body, sandbox_resign(body))
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "ignored"
    assert "amount mismatch" in WebhookEvent.objects.get().error
    assert Payment.objects.get(pk=payment.payment_id).status == "pending"


def test_an_unhandled_event_type_is_acknowledged_and_recorded(api):
    body = json.dumps({"id": "evt_sbx_other", "type": "account.updated", "data": {}}).encode()
    response = post_sandbox_webhook(api, body, sandbox_resign(body))
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "ignored"
    assert WebhookEvent.objects.get().event_type == "account.updated"


def test_a_gateway_that_is_not_enabled_answers_404(api, settings):
    settings.PAYMENTS_SANDBOX_ENABLED = False
    settings.PAYMENTS_GATEWAY = "stripe"
    response = api.post(
        "/api/v1/payments/webhooks/sandbox", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
    response = api.post(
        "/api/v1/payments/webhooks/paypal", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert not WebhookEvent.objects.exists()


def test_a_rotated_secret_invalidates_old_signatures(api):
    payment = link()
    hook = sandbox_decision(payment.payment_id)
    sandbox.sandbox_secret_rotate()
    response = post_sandbox_webhook(api, hook.body, hook.header)
    assert response.status_code == 400
    assert post_sandbox_webhook(api, hook.body, sandbox_resign(hook.body)).status_code == 200


def test_delivery_to_an_unreachable_endpoint_is_counted_and_reported(settings):
    from tests.conftest import free_port

    settings.PAYMENTS_SANDBOX_WEBHOOK_URL = f"http://127.0.0.1:{free_port()}/nowhere"
    settings.PAYMENTS_GATEWAY_TIMEOUT_SECONDS = 2
    payment = link()
    sandbox_decision(payment.payment_id)
    checkout_id = Payment.objects.get(pk=payment.payment_id).gateway_session_id
    assert sandbox.sandbox_webhook_deliver(checkout_id=checkout_id) is False
    checkout = SandboxCheckout.objects.get(pk=checkout_id)
    assert checkout.webhook_attempts == 1
    assert checkout.webhook_delivered_at is None
    assert "ConnectionError" in checkout.webhook_last_error
