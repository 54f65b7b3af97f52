"""Fixtures of the auth context's tests (real database, real cache / Redis)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from bazaar_platform.tokens import jwks as jwks_module
from bazaar_platform.tokens.status import status_cache
from contexts.auth.models import User
from contexts.auth.services.keys import forget_decrypted_keys
from contexts.auth.services.tokens import session_start
from contexts.auth.tests import support
from contexts.auth.tests.factories import make_user
from contexts.auth.tests.support import clear_cache


@pytest.fixture(autouse=True)
def _auth_test_env(settings: Any) -> Iterator[None]:
    # A fast hasher (timing tests switch the real one back on), a pre-made signing key
    # (RSA generation is slow), and a clean cache / key memory per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AUTH_SIGNING_KEY_PEM = support.pem(support.rsa_key("configured"))
    settings.AUTH_SIGNING_KEY_FILE = ""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # parallel workers share the Redis database: one key prefix each
        default = settings.CACHES["default"]
        settings.CACHES = {
            **settings.CACHES,
            "default": {**default, "KEY_PREFIX": f"{default.get('KEY_PREFIX', '')}-{worker}"},
        }
    clear_cache()
    jwks_module.reset_process_state()
    status_cache().forget_locally(None)
    forget_decrypted_keys()
    yield
    clear_cache()
    jwks_module.reset_process_state()
    status_cache().forget_locally(None)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def user_factory() -> Callable[..., User]:
    return make_user


@pytest.fixture
def bearer() -> Callable[[User], dict[str, str]]:
    """Headers carrying a real access token for ``user``."""

    def make(user: User) -> dict[str, str]:
        pair = session_start(user=user)
        return {"HTTP_AUTHORIZATION": f"Bearer {pair.access_token}"}

    return make
