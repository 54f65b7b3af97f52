"""Fixtures of the OAuth provider's tests."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.test import Client

from contexts.auth.models import User
from contexts.auth.tests.factories import make_user
from contexts.auth.tests.oauth_support import App, make_app


@pytest.fixture
def owner(db: None) -> User:
    return make_user(full_name="Olga Owner", email="olga@dev.example.test")


@pytest.fixture
def user(db: None) -> User:
    return make_user(full_name="Casey Customer", email="casey@example.test")


@pytest.fixture
def app(owner: User) -> App:
    return make_app(owner)


@pytest.fixture
def public_app(owner: User) -> App:
    return make_app(owner, name="Acme Mobile", client_type="public")


@pytest.fixture
def cc_app(owner: User) -> App:
    return make_app(owner, name="Acme Feed", grant_type="client_credentials")


@pytest.fixture
def browser(user: User) -> Client:
    """The user's browser, signed in (a session)."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def backend() -> Client:
    """The third-party application's back end (no session)."""
    return Client()


@pytest.fixture
def events(
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> Callable[[], AbstractContextManager[Any]]:
    """``with events():`` runs the after-commit dispatch (handlers) of what happens inside."""

    def run() -> AbstractContextManager[Any]:
        return django_capture_on_commit_callbacks(execute=True)

    return run
