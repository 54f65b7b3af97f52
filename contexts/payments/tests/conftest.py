"""Fixtures of the payments context's tests (real PostgreSQL, Redis; a fake Stripe server)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core import mail
from rest_framework.test import APIClient

from bazaar_platform.events.models import OutboxMessage
from contexts.auth import facade as auth
from contexts.payments import facade
from contexts.payments.models import Payment, SandboxCheckout
from contexts.payments.services import sandbox
from contexts.payments.services.gateways import stripe_adapter
from contexts.payments.tests.fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe

WEBHOOK_URL = "/api/v1/payments/webhooks/{gateway}"


@lru_cache(maxsize=1)
def _signing_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(autouse=True)
def _payments_settings(settings: Any) -> Iterator[None]:
    settings.PAYMENTS_GATEWAY = "sandbox"
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.PAYMENTS_SANDBOX_WEBHOOK_SECRET = ""
    settings.PAYMENTS_SANDBOX_WEBHOOK_URL = ""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # login in the API tests: a fast hasher and a pre-made signing key
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AUTH_SIGNING_KEY_PEM = _signing_key_pem()
    settings.AUTH_SIGNING_KEY_FILE = ""
    yield
    sandbox.sandbox_deliveries_wait(timeout=20)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture(scope="session")
def _stripe_server() -> Iterator[FakeStripe]:
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture
def stripe_fake(_stripe_server: FakeStripe, settings: Any) -> FakeStripe:
    """The fake Stripe, fresh state, with the Stripe gateway configured to use it."""
    fake = _stripe_server
    with fake._lock:
        fake.sessions.clear()
        fake.refunds.clear()
        fake.requests.clear()
        fake.fail_next.clear()
        fake._idempotency.clear()
        fake.refund_status = "succeeded"
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.PAYMENTS_GATEWAY_TIMEOUT_SECONDS = 5
    stripe_adapter._client.cache_clear()
    return fake


def link(**overrides: Any) -> facade.PaymentLink:
    """A payment link through the facade, with sensible defaults."""
    arguments: dict[str, Any] = {
        "purpose": "subscription",
        "reference_id": uuid.uuid4(),
        "amount_minor": 2900,
        "currency": "EUR",
        "description": "Bazaar Pro plan, first month",
        "payer_email": "vera@example.com",
        "idempotency_key": f"test-{uuid.uuid4()}",
        "success_url": "https://shop.example/paid",
        "cancel_url": "https://shop.example/cancelled",
    }
    arguments.update(overrides)
    return facade.payment_link_create(**arguments)


def outbox(event_type: str, payment_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    """Payloads of the events published (outbox rows) of ``event_type``."""
    rows = OutboxMessage.objects.filter(event_type=event_type)
    if payment_id is not None:
        rows = rows.filter(aggregate_id=str(payment_id))
    return [row.message["payload"] for row in rows.order_by("id")]


@dataclass
class SandboxWebhook:
    body: bytes
    header: str


def sandbox_decision(payment_id: uuid.UUID, *, approve: bool = True) -> SandboxWebhook:
    """The tester decides on the sandbox page; the webhook the sandbox would deliver."""
    payment = Payment.objects.get(pk=payment_id)
    checkout = sandbox.sandbox_checkout_decide(
        checkout_id=payment.gateway_session_id, approve=approve
    )
    body = sandbox.sandbox_webhook_body(checkout)
    return SandboxWebhook(
        body, sandbox.sandbox_sign(body=body, secret=sandbox.sandbox_webhook_secret())
    )


def sandbox_resign(body: bytes, *, timestamp: int | None = None, secret: str | None = None) -> str:
    return sandbox.sandbox_sign(
        body=body, secret=secret or sandbox.sandbox_webhook_secret(), timestamp=timestamp
    )


def post_sandbox_webhook(api: APIClient, body: bytes, header: str | None) -> Any:
    extra: dict[str, Any] = {"HTTP_BAZAAR_SANDBOX_SIGNATURE": header} if header is not None else {}
    return api.post(
        WEBHOOK_URL.format(gateway="sandbox"), data=body, content_type="application/json", **extra
    )


def post_stripe_webhook(api: APIClient, payload: str, header: str | None) -> Any:
    extra: dict[str, Any] = {"HTTP_STRIPE_SIGNATURE": header} if header is not None else {}
    return api.post(
        WEBHOOK_URL.format(gateway="stripe"),
        data=payload.encode(),
        content_type="application/json",
        **extra,
    )


@pytest.fixture
def login(api: APIClient, django_capture_on_commit_callbacks: Any) -> Callable[..., dict[str, str]]:
    """Create an account through the auth facade and log in through the auth API.

    Returns the Authorization header. ``verify=True`` follows the e-mailed
    verification link (the auth API) so the account's address counts as verified.
    """

    def make(email: str, *, roles: tuple[str, ...] = (), verify: bool = False) -> dict[str, str]:
        password = "payments-test-Password-1"
        sent_before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes after commit
            user_id = auth.user_create_or_get(email=email, full_name="Test User", password=password)
        for role in roles:
            auth.role_grant(user_id=user_id, role=role)
        if verify:
            message = str(mail.outbox[sent_before].body)
            token = re.search(r"token=([^\s&]+)", message)
            assert token is not None, message
            response = api.post(
                "/api/v1/auth/verify-email", {"token": token.group(1)}, format="json"
            )
            assert response.status_code < 300, response.content
        response = api.post(
            "/api/v1/auth/login", {"email": email, "password": password}, format="json"
        )
        assert response.status_code == 200, response.content
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['data']['access_token']}"}

    return make


def user_id_of(email: str) -> uuid.UUID:
    return auth.user_create_or_get(email=email, full_name="Test User")


def checkout_of(payment_id: uuid.UUID) -> SandboxCheckout:
    return SandboxCheckout.objects.get(pk=Payment.objects.get(pk=payment_id).gateway_session_id)
