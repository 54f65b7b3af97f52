"""Fixtures of the vendors context's tests (real PostgreSQL and Redis)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache as django_cache
from rest_framework.response import Response

from contexts.vendors.tests import support


@cache
def signing_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(autouse=True)
def _vendors_test_env(settings: Any, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AUTH_SIGNING_KEY_PEM = signing_key_pem()
    settings.AUTH_SIGNING_KEY_FILE = ""
    settings.PAYMENTS_GATEWAY = "sandbox"
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.PAYMENTS_SANDBOX_WEBHOOK_SECRET = ""
    settings.PAYMENTS_SANDBOX_WEBHOOK_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EVENT_DISPATCH = "inprocess"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.VENDORS_REGISTER_RATE_PER_MINUTE = 100_000
    settings.RATE_LIMIT_KEY_PREFIX = f"test-rl-{uuid.uuid4().hex[:8]}"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    default = settings.CACHES["default"]
    settings.CACHES = {
        **settings.CACHES,
        "default": {**default, "KEY_PREFIX": f"{default.get('KEY_PREFIX', '')}-vendors-{worker}"},
    }
    if "locmem" in default["BACKEND"].lower():
        django_cache.clear()


@pytest.fixture
def api() -> support.CommittingClient:
    return support.CommittingClient()


@pytest.fixture
def registered(
    api: support.CommittingClient, db: Any
) -> Callable[..., tuple[dict[str, Any], dict[str, str]]]:
    """Register a vendor (and pay its first charge unless ``paid=False``); returns the
    registration data and the owner's auth headers."""

    def make(
        *, plan: str = "growth", paid: bool = True, currency: str = "EUR", **overrides: Any
    ) -> tuple[dict[str, Any], dict[str, str]]:
        body = support.register_body(plan=plan, store={"currency": currency}, **overrides)
        response: Response = support.register(api, body)
        result = support.data(response)
        if paid and result["payment"] is not None:
            support.pay(result["payment"]["payment_id"])
        return result, support.login(api, body["email"])

    return make
