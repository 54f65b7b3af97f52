"""The HTTP API: payer-only reads, staff refunds, error format."""

from __future__ import annotations

import uuid

import pytest

from contexts.payments.models import Refund
from contexts.payments.tests.conftest import (
    link,
    post_sandbox_webhook,
    sandbox_decision,
    user_id_of,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _url(payment_id: uuid.UUID) -> str:
    return f"/api/v1/payments/{payment_id}"


def test_the_payer_by_user_id_reads_the_payment(api, login):
    headers = login("payer@example.com")
    result = link(payer_user_id=user_id_of("payer@example.com"), payer_email="other@example.com")
    response = api.get(_url(result.payment_id), **headers)
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["payment_id"] == str(result.payment_id)
    assert data["status"] == "pending"
    assert data["checkout_url"] == result.url
    assert (data["amount_minor"], data["currency"], data["refunds"]) == (2900, "EUR", [])


def test_the_payer_by_verified_email_reads_the_payment(api, login):
    headers = login("Verified@Example.com", verify=True)
    result = link(payer_email="verified@example.com")
    assert api.get(_url(result.payment_id), **headers).status_code == 200


def test_an_unverified_account_with_the_payer_email_gets_404(api, login):
    headers = login("squatter@example.com")
    result = link(payer_email="squatter@example.com")
    response = api.get(_url(result.payment_id), **headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_someone_else_gets_404_exactly_like_a_missing_payment(api, login):
    result = link(payer_email="payer@example.com")
    headers = login("nosy@example.com", verify=True)
    mine = api.get(_url(result.payment_id), **headers)
    missing = api.get(_url(uuid.uuid4()), **headers)
    assert mine.status_code == missing.status_code == 404
    assert mine.json()["error"]["message"] == missing.json()["error"]["message"]


def test_anonymous_callers_are_401(api):
    result = link()
    assert api.get(_url(result.payment_id)).status_code == 401


def test_staff_read_any_payment_and_refund_it(api, login):
    result = link(amount_minor=5000)
    hook = sandbox_decision(result.payment_id)
    assert post_sandbox_webhook(api, hook.body, hook.header).status_code == 200
    admin = login("staff@example.com", roles=("admin",))
    assert api.get(_url(result.payment_id), **admin).status_code == 200

    body = {"amount_minor": 1500, "reason": "late delivery", "idempotency_key": "api-r1"}
    response = api.post(f"{_url(result.payment_id)}/refunds", body, format="json", **admin)
    assert response.status_code == 201, response.content
    assert response.json()["data"]["status"] == "succeeded"

    too_much = {"amount_minor": 3501, "reason": "x", "idempotency_key": "api-r2"}
    response = api.post(f"{_url(result.payment_id)}/refunds", too_much, format="json", **admin)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "refund_exceeds_refundable"
    assert response.json()["error"]["fields"] == {"amount_minor": ["Must be at most 3500."]}

    negative = {"amount_minor": -1, "reason": "x", "idempotency_key": "api-r3"}
    response = api.post(f"{_url(result.payment_id)}/refunds", negative, format="json", **admin)
    assert response.status_code == 400
    assert Refund.objects.count() == 1

    detail = api.get(_url(result.payment_id), **admin).json()["data"]
    assert (detail["status"], detail["refunded_minor"], detail["checkout_url"]) == (
        "partially_refunded",
        1500,
        None,
    )
    assert [r["amount_minor"] for r in detail["refunds"]] == [1500]


def test_customers_cannot_refund(api, login):
    result = link(payer_email="payer@example.com")
    headers = login("payer@example.com", verify=True)
    body = {"amount_minor": 100, "reason": "x", "idempotency_key": "k"}
    response = api.post(f"{_url(result.payment_id)}/refunds", body, format="json", **headers)
    assert response.status_code == 403
    assert not Refund.objects.exists()


def test_unknown_query_parameters_are_refused(api, login):
    headers = login("payer@example.com", verify=True)
    result = link(payer_email="payer@example.com")
    response = api.get(f"{_url(result.payment_id)}?expand=all", **headers)
    assert response.status_code == 400


def test_the_webhook_endpoint_needs_no_csrf_or_login_but_a_signature(api):
    response = api.post(
        "/api/v1/payments/webhooks/sandbox", data=b'{"id":"x"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_signature_missing"
    assert response.json()["data"] is None
