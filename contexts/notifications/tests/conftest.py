"""Fixtures of the notifications tests: real PostgreSQL, Redis (cache and channel
layer) and, where a test says so, RabbitMQ; fakes only for Twilio and the SMTP peer."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any
from uuid import UUID

import pytest
from celery import current_app as celery_app
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache as django_cache
from rest_framework.test import APIClient

from bazaar_platform.tokens import jwks as jwks_module
from bazaar_platform.tokens.status import status_cache
from contexts.auth import facade as auth
from tests.conftest import free_port

PASSWORD = "a-long-passphrase-42"
SESSION = uuid.uuid4().hex[:8]


@cache
def _signing_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(autouse=True)
def _notifications_env(settings: Any) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AUTH_SIGNING_KEY_PEM = _signing_pem()
    settings.AUTH_SIGNING_KEY_FILE = ""
    settings.SMS_BACKEND = "console"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # deliveries run in the test (see tasks.py)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    # One channel-layer prefix per test session and xdist worker: nothing crosses over.
    layers = settings.CHANNEL_LAYERS
    if layers["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer":
        settings.CHANNEL_LAYERS = {
            "default": {
                **layers["default"],
                "CONFIG": {
                    **layers["default"]["CONFIG"],
                    "prefix": f"test-notifications-{SESSION}-{worker}",
                },
            }
        }
    default = settings.CACHES["default"]
    settings.CACHES = {
        **settings.CACHES,
        "default": {**default, "KEY_PREFIX": f"{default.get('KEY_PREFIX', '')}-n-{worker}"},
    }
    eager, propagates = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = False
    _clear_cache()
    jwks_module.reset_process_state()
    status_cache().forget_locally(None)
    yield
    celery_app.conf.task_always_eager = eager
    celery_app.conf.task_eager_propagates = propagates
    jwks_module.reset_process_state()
    status_cache().forget_locally(None)


def _clear_cache() -> None:
    """This worker's cache keys only (by prefix): ``clear()`` would FLUSHDB the Redis
    database every parallel worker (and the channel layer) shares."""
    delete_pattern = getattr(django_cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern("*")
    else:
        django_cache.clear()


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


def make_user(
    *, email: str | None = None, full_name: str = "Test User", role: str | None = None
) -> UUID:
    """A user through the auth facade (customer role; ``role`` grants another)."""
    user_id = auth.user_create_or_get(
        email=email or new_email(), full_name=full_name, password=PASSWORD
    )
    if role:
        auth.role_grant(user_id=user_id, role=role)
    return user_id


def login(email: str) -> dict[str, Any]:
    """A token pair through the public log-in API."""
    response = APIClient().post(
        "/api/v1/auth/login", {"email": email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return dict(response.json()["data"])


@pytest.fixture
def user_factory() -> Callable[..., UUID]:
    return make_user


@pytest.fixture
def smtp_port() -> int:
    return free_port()


def profile_email(user_id: UUID) -> str:
    profile = auth.user_profile(user_id=user_id)
    assert profile is not None
    return profile.email
