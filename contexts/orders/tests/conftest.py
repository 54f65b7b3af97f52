"""Fixtures of the orders context's tests (real PostgreSQL, Redis, vendors and payments).

Shops, listings and customers come from ``tests.support.orders`` (the vendors and
auth contexts' real services); nothing of another context is faked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from rest_framework.test import APIClient

from tests.support import orders as support


@pytest.fixture(autouse=True)
def _orders_test_env(settings: Any, tmp_path: Path) -> None:
    support.apply_test_settings(settings, tmp_path)


@pytest.fixture
def shop(db: Any) -> support.Shop:
    return support.make_shop()


@pytest.fixture
def customer(db: Any) -> UUID:
    return support.make_customer()


class Client(APIClient):
    """An API client whose requests end like real ones: after-commit callbacks (event
    dispatch) run, inside the test's transaction."""

    def request(self, **kwargs: Any) -> Any:
        with support.committed():
            return super().request(**kwargs)


@pytest.fixture
def client_for(db: Any) -> Callable[[str], Client]:
    """An API client logged in as the account with that e-mail (``support.PASSWORD``)."""

    def make(email: str) -> Client:
        client = Client()
        response = client.post(
            "/api/v1/auth/login", {"email": email, "password": support.PASSWORD}, format="json"
        )
        assert response.status_code == 200, response.content
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['data']['access_token']}")
        return client

    return make


email_of = support.email_of
