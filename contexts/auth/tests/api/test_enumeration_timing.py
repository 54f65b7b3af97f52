"""No user enumeration through timing: with the real password hasher, the paths for
existing and non-existing accounts cost about the same (one hash each)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import global_settings

from contexts.auth.tests.factories import make_user

pytestmark = [pytest.mark.django_db]

ROUNDS = 5


@pytest.fixture(autouse=True)
def _real_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # PBKDF2, as in production
    settings.AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT = 1000
    settings.AUTH_LOGIN_MAX_FAILURES_PER_IP = 1000


def median_seconds(call: Callable[[int], Any]) -> float:
    samples = []
    for i in range(ROUNDS):
        started = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def assert_similar(a: float, b: float) -> None:
    assert min(a, b) / max(a, b) > 0.6, (a, b)


def test_login_timing_is_similar_for_known_and_unknown_accounts(api: Any) -> None:
    make_user(email="known@example.test")
    make_user(email="social-only@example.test", password="!")  # then made unusable below
    from contexts.auth.models import User

    social = User.objects.get(email="social-only@example.test")
    social.set_unusable_password()
    social.save(update_fields=["password"])

    def login(email: str) -> Callable[[int], Any]:
        def call(i: int) -> None:
            response = api.post(
                "/api/v1/auth/login", {"email": email, "password": f"wrong-{i}"}, format="json"
            )
            assert response.status_code == 401

        return call

    known = median_seconds(login("known@example.test"))
    unknown = median_seconds(login("nobody@example.test"))
    unusable = median_seconds(login("social-only@example.test"))
    assert_similar(known, unknown)
    assert_similar(known, unusable)


def test_register_timing_is_similar_for_new_and_taken_addresses(api: Any) -> None:
    make_user(email="taken@example.test")

    def register(email_for: Callable[[int], str]) -> Callable[[int], Any]:
        def call(i: int) -> None:
            response = api.post(
                "/api/v1/auth/register",
                {"email": email_for(i), "password": "plum-otter-galaxy-42"},
                format="json",
            )
            assert response.status_code == 202

        return call

    taken = median_seconds(register(lambda i: "taken@example.test"))
    fresh = median_seconds(register(lambda i: f"fresh{i}@example.test"))
    assert_similar(taken, fresh)


def test_reset_timing_is_similar_for_known_and_unknown_accounts(api: Any) -> None:
    make_user(email="known@example.test")

    def reset(email: str) -> Callable[[int], Any]:
        def call(i: int) -> None:
            assert (
                api.post("/api/v1/auth/password/reset", {"email": email}, format="json").status_code
                == 202
            )

        return call

    known = median_seconds(reset("known@example.test"))
    unknown = median_seconds(reset("nobody@example.test"))
    # no hashing on this path: both are a few milliseconds; allow for scheduler noise
    assert abs(known - unknown) < 0.02, (known, unknown)
