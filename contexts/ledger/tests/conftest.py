"""Fixtures of the ledger context's tests (real PostgreSQL and Redis; events in-process)."""

from __future__ import annotations

import io
import os
import uuid
from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bazaar_platform.seeding import SeedContext, seeders
from contexts.ledger.tests import support


@cache
def signing_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(autouse=True)
def _ledger_test_env(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AUTH_SIGNING_KEY_PEM = signing_key_pem()
    settings.AUTH_SIGNING_KEY_FILE = ""
    settings.PAYMENTS_GATEWAY = "sandbox"
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EVENT_DISPATCH = "inprocess"
    settings.EVENT_MAX_ATTEMPTS = 2
    settings.VENDORS_REGISTER_RATE_PER_MINUTE = 100_000
    settings.RATE_LIMIT_KEY_PREFIX = f"test-rl-{uuid.uuid4().hex[:8]}"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    default = settings.CACHES["default"]
    settings.CACHES = {
        **settings.CACHES,
        "default": {**default, "KEY_PREFIX": f"{default.get('KEY_PREFIX', '')}-ledger-{worker}"},
    }


@pytest.fixture
def api() -> support.CommittingClient:
    return support.CommittingClient()


@pytest.fixture(autouse=True)
def _plans(request: pytest.FixtureRequest) -> None:
    """The commission rates come from the plans, which the migrations create, but any
    transactional test (here or in another context) flushes them: put them back through
    the subscriptions context's own seeder (it never overwrites an existing plan)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    [seed] = [func for name, func in seeders() if name == "subscriptions"]
    seed(SeedContext(out=io.StringIO(), quiet=True))
