"""The account endpoints end to end through HTTP (test client), real DB and cache."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from bazaar_platform.events.models import OutboxMessage
from contexts.auth.models import CustomerStatus, RefreshToken, Role, User
from contexts.auth.tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.django_db]

STRONG = "plum-otter-galaxy-42"


def post(api: Any, url: str, data: Any, **extra: Any) -> Any:
    return api.post(f"/api/v1/auth/{url}", data, format="json", **extra)


def token_in(message: Any) -> str:
    match = re.search(r"token=(\S+)", message.body)
    assert match, message.body
    return match.group(1)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["data"] is None
    assert set(body["error"]) >= {"code", "message", "fields", "request_id"}
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


# --- register and verify -------------------------------------------------------------------------
def test_register_creates_a_pending_customer_and_sends_a_verification_email(
    api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api, "register", {"email": "New@Example.test", "password": STRONG, "full_name": "Nia"}
        )
    assert response.status_code == 202
    user = User.objects.get(email="new@example.test")
    assert user.roles == {Role.CUSTOMER}
    assert user.customer_status == CustomerStatus.PENDING
    assert not user.email_verified
    assert OutboxMessage.objects.filter(
        event_type="auth.user_registered", aggregate_id=str(user.pk)
    ).exists()
    (message,) = mail.outbox
    assert message.to == ["new@example.test"]

    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, "verify-email", {"token": token_in(message)})
    assert response.status_code == 200
    assert response.json()["data"] == {"email_verified": True}
    user.refresh_from_db()
    assert user.email_verified
    assert user.customer_status == CustomerStatus.ACTIVE
    assert OutboxMessage.objects.filter(
        event_type="auth.user_updated", aggregate_id=str(user.pk)
    ).exists()


def test_register_does_not_reveal_existing_accounts(
    api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_user(email="taken@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        existing = post(api, "register", {"email": "taken@example.test", "password": STRONG})
        fresh = post(api, "register", {"email": "free@example.test", "password": STRONG})
    assert existing.status_code == fresh.status_code == 202
    assert existing.json()["data"] == fresh.json()["data"]
    assert User.objects.filter(email="taken@example.test").count() == 1
    # the owner of the taken address is told, by e-mail only
    assert [m.to for m in mail.outbox] == [["taken@example.test"], ["free@example.test"]]
    assert "already has one" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": STRONG}, "email"),
        ({"email": "a@example.test", "password": "short"}, "password"),
        ({"email": "a@example.test", "password": "password123"}, "password"),
        ({"email": "a@example.test", "password": "12345678901"}, "password"),
        ({"email": "someone@example.test", "password": "someone@example.test"}, "password"),
        ({"email": "a@example.test"}, "password"),
        ({"password": STRONG}, "email"),
        ({"email": ["a@example.test"], "password": STRONG}, "email"),
        ({"email": "a@example.test", "password": STRONG, "full_name": "x" * 151}, "full_name"),
        ({"email": "a" * 250 + "@example.test", "password": STRONG}, "email"),
        ({"email": None, "password": None}, "email"),
    ],
)
def test_malformed_registrations_are_400_with_field_errors(
    api: Any, payload: dict[str, Any], field: str
) -> None:
    error = assert_error(post(api, "register", payload), 400, "validation_error")
    assert field in error["fields"]
    assert not User.objects.exists()


@pytest.mark.parametrize("body", ["not json", "[1,2,3]", '"string"', "null", "{", "1e999"])
def test_non_object_bodies_are_400(api: Any, body: str) -> None:
    response = api.post("/api/v1/auth/register", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"malformed_request", "validation_error"}


def test_bad_verification_tokens_are_400(api: Any) -> None:
    for token in ["", "garbage", "a" * 2001, "eyJ1IjoiMSJ9:1abc:def"]:
        response = post(api, "verify-email", {"token": token})
        assert response.status_code == 400, token


# --- login, refresh, logout ----------------------------------------------------------------------
def test_login_gives_a_token_pair_and_me_reads_the_profile(api: Any) -> None:
    user = make_user(email="me@example.test", roles=[Role.CUSTOMER, Role.VENDOR])
    response = post(api, "login", {"email": "ME@example.test ", "password": PASSWORD})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == 300
    assert data["refresh_token"].startswith("rt_")
    me = api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {data['access_token']}")
    assert me.status_code == 200
    assert me.json()["data"]["id"] == str(user.pk)
    assert me.json()["data"]["roles"] == ["customer", "vendor"]


def test_login_failures_are_identical_for_unknown_accounts_wrong_passwords_and_inactive_users(
    api: Any,
) -> None:
    make_user(email="known@example.test")
    make_user(email="gone@example.test", is_active=False)
    responses = [
        post(api, "login", {"email": "known@example.test", "password": "wrong-password"}),
        post(api, "login", {"email": "nobody@example.test", "password": "wrong-password"}),
        post(api, "login", {"email": "gone@example.test", "password": PASSWORD}),
    ]
    errors = [assert_error(r, 401, "invalid_credentials") for r in responses]
    assert len({(e["code"], e["message"]) for e in errors}) == 1


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"email": "x"},
        {"password": "x"},
        {"email": 5, "password": {"a": 1}},
        {"email": "a" * 300, "password": "x"},
    ],
)
def test_malformed_logins_are_400(api: Any, payload: dict[str, Any]) -> None:
    assert_error(post(api, "login", payload), 400, "validation_error")


def test_login_ignores_a_stale_bearer_token(api: Any) -> None:
    make_user(email="stale@example.test")
    response = post(
        api,
        "login",
        {"email": "stale@example.test", "password": PASSWORD},
        HTTP_AUTHORIZATION="Bearer junk",
    )
    assert response.status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_family(api: Any) -> None:
    make_user(email="r@example.test")
    first = post(api, "login", {"email": "r@example.test", "password": PASSWORD}).json()["data"]
    second = post(api, "refresh", {"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second_data = second.json()["data"]
    assert second_data["refresh_token"] != first["refresh_token"]
    assert (
        api.get(
            "/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {second_data['access_token']}"
        ).status_code
        == 200
    )

    # replaying the spent token is treated as theft: the whole family dies
    assert_error(
        post(api, "refresh", {"refresh_token": first["refresh_token"]}),
        401,
        "invalid_refresh_token",
    )
    assert_error(
        post(api, "refresh", {"refresh_token": second_data["refresh_token"]}),
        401,
        "invalid_refresh_token",
    )
    assert set(RefreshToken.objects.values_list("revoked_reason", flat=True)) == {"reuse_detected"}


def test_refresh_tokens_are_stored_hashed(api: Any) -> None:
    make_user(email="h@example.test")
    data = post(api, "login", {"email": "h@example.test", "password": PASSWORD}).json()["data"]
    row = RefreshToken.objects.get()
    assert data["refresh_token"] not in row.token_hash
    assert len(row.token_hash) == 64


def test_logout_revokes_the_session_only(api: Any) -> None:
    make_user(email="l@example.test")
    a = post(api, "login", {"email": "l@example.test", "password": PASSWORD}).json()["data"]
    b = post(api, "login", {"email": "l@example.test", "password": PASSWORD}).json()["data"]
    assert post(api, "logout", {"refresh_token": a["refresh_token"]}).status_code == 204
    assert_error(post(api, "refresh", {"refresh_token": a["refresh_token"]}), 401)
    assert post(api, "refresh", {"refresh_token": b["refresh_token"]}).status_code == 200
    # unknown tokens: same answer, nothing revealed
    assert post(api, "logout", {"refresh_token": "rt_unknown"}).status_code == 204


@pytest.mark.parametrize("token", ["", "rt_", "rt_nope", "x" * 199, "eyJhbGciOiJub25lIn0.e30."])
def test_bad_refresh_tokens_are_4xx(api: Any, token: str) -> None:
    response = post(api, "refresh", {"refresh_token": token})
    assert response.status_code in {400, 401}


def test_deactivated_users_cannot_refresh(
    api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from contexts.auth.services.accounts import user_deactivate

    user = make_user(email="d@example.test")
    data = post(api, "login", {"email": "d@example.test", "password": PASSWORD}).json()["data"]
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user_id=user.pk, reason="test")
    assert_error(post(api, "refresh", {"refresh_token": data["refresh_token"]}), 401)


# --- throttling ----------------------------------------------------------------------------------
def test_login_is_throttled_per_account_even_for_the_right_password(
    api: Any, settings: Any
) -> None:
    settings.AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    make_user(email="brute@example.test")
    for i in range(3):
        post(
            api,
            "login",
            {"email": "brute@example.test", "password": f"guess-{i}"},
            REMOTE_ADDR=f"10.0.0.{i}",
        )
    response = post(
        api, "login", {"email": "brute@example.test", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    error = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert "account" not in error["message"].lower()


def test_login_throttle_looks_the_same_for_unknown_accounts(api: Any, settings: Any) -> None:
    settings.AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT = 2
    make_user(email="real@example.test")
    results = {}
    for email in ["real@example.test", "ghost@example.test"]:
        for _ in range(2):
            post(api, "login", {"email": email, "password": "nope-nope"})
        response = post(api, "login", {"email": email, "password": "nope-nope"})
        results[email] = (
            response.status_code,
            response.json()["error"]["code"],
            response.json()["error"]["message"],
        )
    assert results["real@example.test"] == results["ghost@example.test"]
    assert results["real@example.test"][:2] == (429, "throttled")


def test_login_is_throttled_per_ip_across_accounts(api: Any, settings: Any) -> None:
    settings.AUTH_LOGIN_MAX_FAILURES_PER_IP = 4
    make_user(email="victim@example.test")
    for i in range(4):
        post(
            api,
            "login",
            {"email": f"spray{i}@example.test", "password": "Winter2026!"},
            REMOTE_ADDR="203.0.113.7",
        )
    blocked = post(
        api,
        "login",
        {"email": "victim@example.test", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
    )
    assert_error(blocked, 429, "throttled")
    other_ip = post(
        api,
        "login",
        {"email": "victim@example.test", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.1",
    )
    assert other_ip.status_code == 200


def test_login_throttle_counters_live_in_the_shared_cache(api: Any, settings: Any) -> None:
    """Another process (here: a fresh cache connection) sees the same counters."""
    from django.core.cache import caches

    settings.AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT = 2
    for _ in range(2):
        post(api, "login", {"email": "shared@example.test", "password": "nope-nope"})
    caches["default"].close()  # drop this process's connection; the counters are in Redis
    assert_error(post(api, "login", {"email": "shared@example.test", "password": "nope-nope"}), 429)


def test_successful_login_resets_the_account_counter(api: Any, settings: Any) -> None:
    settings.AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    make_user(email="typo@example.test")
    for _ in range(2):
        post(api, "login", {"email": "typo@example.test", "password": "typo-typo"})
    assert (
        post(api, "login", {"email": "typo@example.test", "password": PASSWORD}).status_code == 200
    )
    for _ in range(2):
        post(api, "login", {"email": "typo@example.test", "password": "typo-typo"})
    assert (
        post(api, "login", {"email": "typo@example.test", "password": PASSWORD}).status_code == 200
    )


# --- passwords -----------------------------------------------------------------------------------
def test_password_change_needs_the_current_password_and_revokes_sessions(
    api: Any, bearer: Any
) -> None:
    user = make_user(email="pc@example.test")
    session = post(api, "login", {"email": "pc@example.test", "password": PASSWORD}).json()["data"]
    headers = bearer(user)
    wrong = post(
        api, "password/change", {"current_password": "nope", "new_password": STRONG}, **headers
    )
    assert "current_password" in assert_error(wrong, 400, "validation_error")["fields"]
    weak = post(
        api, "password/change", {"current_password": PASSWORD, "new_password": "123"}, **headers
    )
    assert "new_password" in assert_error(weak, 400)["fields"]
    ok = post(
        api, "password/change", {"current_password": PASSWORD, "new_password": STRONG}, **headers
    )
    assert ok.status_code == 204
    assert_error(post(api, "refresh", {"refresh_token": session["refresh_token"]}), 401)
    assert post(api, "login", {"email": "pc@example.test", "password": STRONG}).status_code == 200


def test_password_change_needs_authentication(api: Any) -> None:
    response = post(api, "password/change", {"current_password": "a", "new_password": STRONG})
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_password_reset_round_trip_and_single_use(
    api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_user(email="forgot@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        assert post(api, "password/reset", {"email": "forgot@example.test"}).status_code == 202
    token = token_in(mail.outbox[0])
    assert (
        post(api, "password/reset/confirm", {"token": token, "new_password": STRONG}).status_code
        == 204
    )
    assert (
        post(api, "login", {"email": "forgot@example.test", "password": STRONG}).status_code == 200
    )
    again = post(
        api, "password/reset/confirm", {"token": token, "new_password": "another-" + STRONG}
    )
    assert_error(again, 400, "invalid_token")


def test_password_reset_does_not_reveal_accounts(
    api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_user(email="exists@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        a = post(api, "password/reset", {"email": "exists@example.test"})
        b = post(api, "password/reset", {"email": "missing@example.test"})
    assert a.status_code == b.status_code == 202
    assert a.json()["data"] == b.json()["data"]
    assert [m.to for m in mail.outbox] == [["exists@example.test"]]


def test_password_reset_confirm_refuses_weak_passwords_and_bad_tokens(
    api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_user(email="weak@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        post(api, "password/reset", {"email": "weak@example.test"})
    token = token_in(mail.outbox[0])
    assert (
        "new_password"
        in assert_error(
            post(api, "password/reset/confirm", {"token": token, "new_password": "1234"}), 400
        )["fields"]
    )
    for bad in ["", "x", token[:-3] + "abc", "a" * 3000]:
        assert (
            post(api, "password/reset/confirm", {"token": bad, "new_password": STRONG}).status_code
            == 400
        )


# --- me ------------------------------------------------------------------------------------------
def test_me_update_changes_the_name_and_publishes(
    api: Any, bearer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_user(full_name="Old")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(
            "/api/v1/auth/me", {"full_name": "New Name"}, format="json", **bearer(user)
        )
    assert response.status_code == 200
    assert response.json()["data"]["full_name"] == "New Name"
    assert OutboxMessage.objects.filter(event_type="auth.user_updated").count() == 1
    bad = api.patch("/api/v1/auth/me", {"full_name": "x" * 500}, format="json", **bearer(user))
    assert_error(bad, 400, "validation_error")


def test_me_rejects_unknown_query_parameters(api: Any, bearer: Any) -> None:
    assert_error(
        api.get("/api/v1/auth/me?fields=all", **bearer(make_user())), 400, "validation_error"
    )


# --- admin: roles and status ---------------------------------------------------------------------
def test_admin_grants_and_revokes_roles(
    api: Any, bearer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = make_user(roles=[Role.ADMIN])
    target = make_user(roles=[Role.CUSTOMER])
    headers = bearer(admin)
    with django_capture_on_commit_callbacks(execute=True):
        granted = post(api, f"users/{target.pk}/roles", {"role": "vendor"}, **headers)
    assert granted.status_code == 200
    assert granted.json()["data"]["roles"] == ["customer", "vendor"]
    assert granted.json()["data"]["vendor_status"] == "active"
    with django_capture_on_commit_callbacks(execute=True):
        revoked = api.delete(f"/api/v1/auth/users/{target.pk}/roles/vendor", **headers)
    assert revoked.status_code == 204
    assert User.objects.get(pk=target.pk).roles == {"customer"}
    types = list(OutboxMessage.objects.values_list("event_type", flat=True))
    assert types == ["auth.role_granted", "auth.role_revoked"]


def test_role_endpoints_are_admin_only_and_validate(api: Any, bearer: Any) -> None:
    customer = make_user()
    target = make_user()
    assert_error(
        post(api, f"users/{target.pk}/roles", {"role": "admin"}, **bearer(customer)),
        403,
        "permission_denied",
    )
    assert_error(post(api, f"users/{target.pk}/roles", {"role": "admin"}), 401)
    admin_headers = bearer(make_user(roles=[Role.ADMIN]))
    assert_error(
        post(api, f"users/{target.pk}/roles", {"role": "god"}, **admin_headers),
        400,
        "validation_error",
    )
    assert_error(api.delete(f"/api/v1/auth/users/{target.pk}/roles/god", **admin_headers), 400)
    import uuid

    assert_error(
        post(api, f"users/{uuid.uuid4()}/roles", {"role": "vendor"}, **admin_headers),
        404,
        "not_found",
    )
    assert (
        api.post(
            "/api/v1/auth/users/not-a-uuid/roles",
            {"role": "vendor"},
            format="json",
            **admin_headers,
        ).status_code
        == 404
    )


def test_the_last_admin_keeps_the_role(api: Any, bearer: Any) -> None:
    admin = make_user(roles=[Role.ADMIN])
    assert_error(
        api.delete(f"/api/v1/auth/users/{admin.pk}/roles/admin", **bearer(admin)), 409, "last_admin"
    )


def test_admin_deactivates_and_sets_statuses(
    api: Any, bearer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    headers = bearer(make_user(roles=[Role.ADMIN]))
    target = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        suspended = api.patch(
            f"/api/v1/auth/users/{target.pk}/status",
            {"customer_status": "suspended"},
            format="json",
            **headers,
        )
        assert suspended.status_code == 200
        assert suspended.json()["data"]["customer_status"] == "suspended"
        conflict = api.patch(
            f"/api/v1/auth/users/{target.pk}/status",
            {"vendor_status": "active"},
            format="json",
            **headers,
        )
        assert_error(conflict, 409, "role_missing")
        deactivated = post(api, f"users/{target.pk}/deactivate", {"reason": "fraud"}, **headers)
    assert deactivated.status_code == 200
    assert deactivated.json()["data"]["is_active"] is False
    types = list(OutboxMessage.objects.values_list("event_type", flat=True))
    assert types == ["auth.user_updated", "auth.user_deactivated"]
