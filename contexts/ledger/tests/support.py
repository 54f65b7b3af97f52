"""Helpers of the ledger context's tests.

Orders are simulated by publishing the orders context's real event classes (the contract
this context consumes) through the platform's ``publish`` and in-process dispatch; vendors
are registered through the vendors API.
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
from contexts.orders.events import OrderPaid, RefundIssued

PASSWORD = "Qz7!mango-Tulip-93"


class CommittingClient(APIClient):
    """Every request ends like a real one: its after-commit callbacks (events) run."""

    def request(self, **kwargs: Any) -> Any:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**kwargs)


def deliver(*events: Any) -> None:
    """Publish events and let the in-process dispatcher run their handlers."""
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        for event in events:
            publish(event)


def redeliver(event: Any) -> list[str]:
    """Hand an already delivered event to the ledger's handlers again, as a broker
    redelivery would; returns the outcomes (other contexts' handlers are theirs to test)."""
    from bazaar_platform.events.consumer import apply
    from bazaar_platform.events.registry import subscriptions_for

    with TestCase.captureOnCommitCallbacks(execute=True):
        return [
            apply(sub.handler_name, event.to_message()).value
            for sub in subscriptions_for(event.event_type)
            if sub.context == "ledger"
        ]


def vendor_order(
    *, vendor_id: uuid.UUID, subtotal_minor: int, store_id: uuid.UUID | None = None
) -> dict[str, str | int]:
    return {
        "vendor_order_id": str(uuid.uuid4()),
        "vendor_id": str(vendor_id),
        "store_id": str(store_id or uuid.uuid4()),
        "subtotal_minor": subtotal_minor,
    }


def order_paid(
    *vendor_orders: dict[str, str | int],
    currency: str = "EUR",
    occurred_at: datetime | None = None,
) -> OrderPaid:
    fields: dict[str, Any] = {}
    if occurred_at is not None:
        fields["occurred_at"] = occurred_at
    return OrderPaid(
        order_id=uuid.uuid4(),
        customer_user_id=uuid.uuid4(),
        currency=currency,
        total_minor=sum(int(vo["subtotal_minor"]) for vo in vendor_orders),
        lines=[],
        payment_id=uuid.uuid4(),
        vendor_orders=list(vendor_orders),
        **fields,
    )


def refund_issued(
    paid: OrderPaid,
    vo: dict[str, str | int],
    amount_minor: int,
    *,
    reason: str = "return",
    currency: str | None = None,
) -> RefundIssued:
    return RefundIssued(
        order_id=paid.order_id,
        customer_user_id=paid.customer_user_id,
        currency=currency or paid.currency,
        total_minor=int(vo["subtotal_minor"]),
        lines=[],
        vendor_order_id=uuid.UUID(str(vo["vendor_order_id"])),
        vendor_id=uuid.UUID(str(vo["vendor_id"])),
        store_id=uuid.UUID(str(vo["store_id"])),
        refund_id=uuid.uuid4(),
        amount_minor=amount_minor,
        reason=reason,
    )


def published(event_type: str, **payload: Any) -> list[dict[str, Any]]:
    rows = OutboxMessage.objects.filter(event_type=event_type).order_by("id")
    found = [row.message["payload"] for row in rows]
    return [p for p in found if all(str(p.get(k)) == str(v) for k, v in payload.items())]


def register(api: APIClient, *, plan: str = "free", currency: str = "EUR") -> dict[str, Any]:
    """A vendor through the vendors API (the free plan is active at once); returns the
    registration data plus its owner's ``headers``."""
    tag = f"l{uuid.uuid4().hex[:10]}"
    email = f"{tag}@example.test"
    response = api.post(
        "/api/v1/vendors/register",
        {
            "email": email,
            "full_name": "Lee Ledger",
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
    result["email"] = email
    result["headers"] = login(api, email)
    return result


def login(api: APIClient, email: str) -> dict[str, str]:
    response = api.post("/api/v1/auth/login", {"email": email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['data']['access_token']}"}
