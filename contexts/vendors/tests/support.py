"""Helpers of the vendors context's tests: registration bodies, log-in, paying a charge.

Vendors are built through the public API (``POST /api/v1/vendors/register``), the way a
client builds them; payments are simulated by publishing the payments context's
``payments.payment_succeeded`` / ``payment_failed`` events (the contract the
subscriptions context consumes). The real gateway path (hosted page, signed webhook)
runs in ``tests/e2e``.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from django.db import transaction
from django.test import TestCase
from rest_framework.test import APIClient

from bazaar_platform.events import publish
from contexts.payments import facade as payments
from contexts.payments.events import PaymentFailed, PaymentSucceeded

PASSWORD = "Qz7!mango-Tulip-93"
_seq = itertools.count(1)


class CommittingClient(APIClient):
    """An API client whose every request ends like a real one: its ``on_commit``
    callbacks (event dispatch) run, inside the test's transaction."""

    def request(self, **kwargs: Any) -> Any:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**kwargs)


def committed() -> Any:
    """Run the block's after-commit callbacks at its end (for direct service calls)."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_seq)}-{uuid.uuid4().hex[:6]}"


def register_body(**overrides: Any) -> dict[str, Any]:
    tag = unique("v")
    store = {"name": f"Store {tag}", "slug": tag, "currency": "EUR"}
    store.update(overrides.pop("store", {}))
    body: dict[str, Any] = {
        "email": f"{tag}@vendors.test",
        "full_name": "Vera Vendor",
        "password": PASSWORD,
        "legal_name": f"{tag} Ltd",
        "plan": "growth",
        "store": store,
    }
    body.update(overrides)
    return body


def register(
    api: APIClient, body: dict[str, Any] | None = None, *, key: str | None = None, **headers: Any
) -> Any:
    return api.post(
        "/api/v1/vendors/register",
        body if body is not None else register_body(),
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
        **headers,
    )


def login(api: APIClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = api.post("/api/v1/auth/login", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['data']['access_token']}"}


def pay(payment_id: uuid.UUID | str, **overrides: Any) -> PaymentSucceeded:
    """Publish ``payments.payment_succeeded`` for a payment link, as the payments context
    does once its gateway confirms the money (after commit, so handlers run)."""
    summary = payments.payment_get(payment_id=uuid.UUID(str(payment_id)))
    assert summary is not None
    fields: dict[str, Any] = {
        "payment_id": summary.payment_id,
        "purpose": summary.purpose,
        "reference_id": summary.reference_id,
        "amount_minor": summary.amount_minor,
        "currency": summary.currency,
        "gateway": summary.gateway,
        "gateway_payment_id": f"test_{uuid.uuid4().hex[:8]}",
        "payer_email": summary.payer_email,
    }
    fields.update(overrides)
    event = PaymentSucceeded(**fields)
    with committed(), transaction.atomic():
        publish(event)
    return event


def fail(payment_id: uuid.UUID | str, reason: str = "card_declined") -> PaymentFailed:
    summary = payments.payment_get(payment_id=uuid.UUID(str(payment_id)))
    assert summary is not None
    event = PaymentFailed(
        payment_id=summary.payment_id,
        purpose=summary.purpose,
        reference_id=summary.reference_id,
        reason=reason,
        amount_minor=summary.amount_minor,
        currency=summary.currency,
        gateway=summary.gateway,
        payer_email=summary.payer_email,
    )
    with committed(), transaction.atomic():
        publish(event)
    return event


def data(response: Any) -> Any:
    assert response.status_code < 400, (response.status_code, response.content[:2000])
    return response.json()["data"]


def error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert body["data"] is None, body
    return dict(body["error"])
