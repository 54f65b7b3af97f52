"""Helpers of the subscriptions context's tests.

Subscriptions are made with this context's own services (a vendor is just a UUID
here) or, for the API, through the vendors context's public registration API.
Payments are simulated by publishing the payments context's events, the contract
this context consumes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction
from django.test import TestCase
from rest_framework.test import APIClient

from bazaar_platform.events import publish
from bazaar_platform.events.models import OutboxMessage
from contexts.payments import facade as payments
from contexts.payments.events import PaymentFailed, PaymentSucceeded

PASSWORD = "Qz7!mango-Tulip-93"


class CommittingClient(APIClient):
    """Every request ends like a real one: its after-commit callbacks (events) run."""

    def request(self, **kwargs: Any) -> Any:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**kwargs)


def committed() -> Any:
    return TestCase.captureOnCommitCallbacks(execute=True)


def succeeded(payment_id: uuid.UUID, **overrides: Any) -> PaymentSucceeded:
    summary = payments.payment_get(payment_id=payment_id)
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
    return PaymentSucceeded(**fields)


def failed(payment_id: uuid.UUID, reason: str = "card_declined") -> PaymentFailed:
    summary = payments.payment_get(payment_id=payment_id)
    assert summary is not None
    return PaymentFailed(
        payment_id=summary.payment_id,
        purpose=summary.purpose,
        reference_id=summary.reference_id,
        reason=reason,
        amount_minor=summary.amount_minor,
        currency=summary.currency,
        gateway=summary.gateway,
        payer_email=summary.payer_email,
    )


def deliver(*events: Any, occurred_at: datetime | None = None) -> None:
    """Publish events and let the in-process dispatcher run their handlers."""
    with committed(), transaction.atomic():
        for event in events:
            publish(
                event
                if occurred_at is None
                else event.model_copy(update={"occurred_at": occurred_at})
            )


def redeliver(event: Any) -> list[str]:
    """Hand an already delivered event to this context's handlers again, as a broker
    redelivery would (through the consumer every transport uses); returns the outcomes.
    Other contexts' handlers of the same event (orders also consumes payments) are theirs
    to test."""
    from bazaar_platform.events.consumer import apply
    from bazaar_platform.events.registry import subscriptions_for

    with committed():
        return [
            apply(sub.handler_name, event.to_message()).value
            for sub in subscriptions_for(event.event_type)
            if sub.context == "subscriptions"
        ]


def published(event_type: str, **payload: Any) -> list[dict[str, Any]]:
    rows = OutboxMessage.objects.filter(event_type=event_type).order_by("id")
    found = [row.message["payload"] for row in rows]
    return [p for p in found if all(str(p.get(k)) == str(v) for k, v in payload.items())]


def register(api: APIClient, *, plan: str = "growth", currency: str = "EUR") -> dict[str, Any]:
    """A vendor through the vendors API; returns the registration data plus its owner's
    ``headers``."""
    tag = f"s{uuid.uuid4().hex[:10]}"
    email = f"{tag}@example.test"
    response = api.post(
        "/api/v1/vendors/register",
        {
            "email": email,
            "full_name": "Sam Seller",
            "password": PASSWORD,
            "legal_name": f"{tag} Ltd",
            "plan": plan,
            "store": {"name": tag, "slug": tag, "currency": currency},
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 201, response.content
    result: dict[str, Any] = response.json()["data"]
    login = api.post("/api/v1/auth/login", {"email": email, "password": PASSWORD}, format="json")
    assert login.status_code == 200
    result["headers"] = {"HTTP_AUTHORIZATION": f"Bearer {login.json()['data']['access_token']}"}
    return result
