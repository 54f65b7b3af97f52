"""No user enumeration through timing.

Wall-clock comparisons are noise on a loaded 2-core CI machine, so the property is
pinned where the time goes: each path for an existing and a non-existing account
runs the (deliberately slow) password hasher the same number of times, and answers
with the same status and body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from contexts.auth.tests.factories import make_user

pytestmark = [pytest.mark.django_db]


class CountingHasher(PBKDF2PasswordHasher):
    """The production hasher, counting how often it derives a key."""

    algorithm = "pbkdf2_sha256"
    calls: ClassVar[int] = 0

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        CountingHasher.calls += 1
        return super().encode(password, salt, iterations)


@pytest.fixture(autouse=True)
def _counting_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    settings.AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT = 1000
    settings.AUTH_LOGIN_MAX_FAILURES_PER_IP = 1000


def hashes_and_body(call: Callable[[], Any]) -> tuple[int, int, dict[str, Any]]:
    before = CountingHasher.calls
    response = call()
    body = response.json()
    body.get("meta", {}).pop("request_id", None)
    if body.get("error"):
        body["error"].pop("request_id", None)
    return CountingHasher.calls - before, response.status_code, body


def test_login_costs_the_same_for_known_unknown_and_unusable_accounts(api: Any) -> None:
    make_user(email="known@example.test")
    social = make_user(email="social-only@example.test")
    social.set_unusable_password()
    social.save(update_fields=["password"])

    def login(email: str) -> Callable[[], Any]:
        return lambda: api.post(
            "/api/v1/auth/login", {"email": email, "password": "wrong-password"}, format="json"
        )

    known = hashes_and_body(login("known@example.test"))
    unknown = hashes_and_body(login("nobody@example.test"))
    unusable = hashes_and_body(login("social-only@example.test"))
    assert known[0] >= 1, "a wrong password must still be checked with the slow hasher"
    assert known == unknown == unusable
    assert known[1] == 401


def test_register_costs_the_same_for_new_and_taken_addresses(api: Any) -> None:
    make_user(email="taken@example.test")

    def register(email: str) -> Callable[[], Any]:
        return lambda: api.post(
            "/api/v1/auth/register",
            {"email": email, "password": "plum-otter-galaxy-42"},
            format="json",
        )

    taken = hashes_and_body(register("taken@example.test"))
    fresh = hashes_and_body(register("fresh@example.test"))
    assert taken[0] >= 1
    assert taken == fresh
    assert taken[1] == 202


def test_reset_answers_the_same_for_known_and_unknown_accounts(api: Any) -> None:
    make_user(email="known@example.test")

    def reset(email: str) -> Callable[[], Any]:
        return lambda: api.post("/api/v1/auth/password/reset", {"email": email}, format="json")

    known = hashes_and_body(reset("known@example.test"))
    unknown = hashes_and_body(reset("nobody@example.test"))
    assert known == unknown
    assert known[1] == 202
