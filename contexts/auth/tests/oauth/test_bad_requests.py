"""Bad input at the provider's endpoints: each refused with the standard OAuth error.

Authorization endpoint: errors go back to the client in the redirect (RFC 6749
§4.1.2.1: ``error``, ``error_description``, ``state``, plus RFC 9207 ``iss``), except
when the client or redirect URI cannot be trusted: then no redirect at all, a 400 page
for the user (JSON for a caller that asks for it). Token endpoint: RFC 6749 §5.2 JSON.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bazaar_platform.events.models import OutboxMessage
from bazaar_platform.tokens import RevokedTokenError, authenticate_principal
from contexts.auth.models import OAuthAccessToken, OAuthGrant, OAuthRefreshToken, User
from contexts.auth.tests.oauth_support import (
    AUTHORIZE,
    REDIRECT_URI,
    TOKEN,
    USERINFO,
    App,
    authorize_params,
    exchange,
    get_code,
    make_app,
    pkce,
    post_form,
    query_of,
    refresh,
    tokens_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
ISSUER = "http://127.0.0.1:8000"


def redirected_error(response: Any, params: dict[str, str]) -> dict[str, str]:
    """The error a redirect carries back to the registered redirect URI."""
    assert response.status_code == 302, response.content[:300]
    assert response["Location"].startswith(REDIRECT_URI + "?")
    query = query_of(response["Location"])
    assert query["state"] == params["state"]  # state round-trips on errors too
    assert query["iss"] == ISSUER
    assert "code" not in query
    return query


def shown_error(response: Any) -> None:
    """A fatal error: shown to the user, never redirected anywhere."""
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert 'id="oauth-error"' in response.content.decode()


# --- authorization endpoint: fatal (no redirect) ----------------------------------------------
@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://client.example.test/callback/",  # trailing slash
        "https://client.example.test/callback?x=1",  # extra query
        "https://client.example.test/other",  # other path
        "https://evil.example.test/callback",  # other host
        "https://client.example.test.evil.test/callback",  # suffix host
        "http://client.example.test/callback",  # downgraded scheme
        "https://client.example.test:8443/callback",  # other port
        "https://client.example.test/callback#frag",  # fragment
        "https://user@client.example.test/callback",  # userinfo
        "https://CLIENT.example.test/CALLBACK",  # case of the path
    ],
)
def test_redirect_uri_must_match_exactly(browser: Client, app: App, redirect_uri: str) -> None:
    _, challenge = pkce()
    params = authorize_params(app, challenge=challenge, redirect_uri=redirect_uri)
    shown_error(browser.get(AUTHORIZE, params))


def test_fatal_errors_are_json_for_a_caller_that_asks(browser: Client, app: App) -> None:
    _, challenge = pkce()
    params = authorize_params(app, challenge=challenge, redirect_uri="https://evil.example.test/cb")
    response = browser.get(AUTHORIZE, params, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert "redirect" in body["error_description"].lower()


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": "no-such-client"},
        {"client_id": ""},
    ],
)
def test_unknown_client_is_shown_not_redirected(
    browser: Client, app: App, change: dict[str, str]
) -> None:
    _, challenge = pkce()
    params = {**authorize_params(app, challenge=challenge), **change}
    shown_error(browser.get(AUTHORIZE, params))


def test_duplicate_parameters_are_refused(browser: Client, app: App) -> None:
    _, challenge = pkce()
    params = authorize_params(app, challenge=challenge)
    query = "&".join(f"{k}={v}" for k, v in params.items()) + "&state=second"
    shown_error(browser.get(f"{AUTHORIZE}?{query}"))


def test_client_credentials_app_has_no_authorization_endpoint(browser: Client, cc_app: App) -> None:
    _, challenge = pkce()
    shown_error(browser.get(AUTHORIZE, authorize_params(cc_app, challenge=challenge)))


def test_loopback_redirect_ports_may_vary_but_nothing_else(browser: Client, owner: User) -> None:
    native = make_app(
        owner, name="CLI", client_type="public", redirect_uris=["http://127.0.0.1/callback"]
    )
    _, challenge = pkce()
    ok = authorize_params(
        native, challenge=challenge, redirect_uri="http://127.0.0.1:51234/callback"
    )
    assert browser.get(AUTHORIZE, ok).status_code == 200  # RFC 8252 §7.3
    for wrong in ("http://localhost:51234/callback", "http://127.0.0.1:51234/other"):
        shown_error(browser.get(AUTHORIZE, {**ok, "redirect_uri": wrong}))


# --- authorization endpoint: redirected errors -----------------------------------------------
def test_pkce_is_required_for_every_client(browser: Client, app: App, public_app: App) -> None:
    for client in (app, public_app):
        params = authorize_params(client)  # no code_challenge
        query = redirected_error(browser.get(AUTHORIZE, params), params)
        assert query["error"] == "invalid_request"
        assert "challenge" in query["error_description"].lower()


@pytest.mark.parametrize("method", ["plain", None, "S512"])
def test_only_s256_is_accepted(browser: Client, app: App, method: str | None) -> None:
    verifier, _ = pkce()
    params = authorize_params(app)
    params["code_challenge"] = verifier  # a "plain" challenge is the verifier itself
    if method is not None:
        params["code_challenge_method"] = method
    query = redirected_error(browser.get(AUTHORIZE, params), params)
    assert query["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("response_type", "error"),
    [
        ("token", "unsupported_response_type"),  # implicit (RFC 9700 §2.1.2)
        ("id_token", "unsupported_response_type"),
        ("id_token token", "unsupported_response_type"),
        ("code token", "unsupported_response_type"),  # hybrid
        ("code id_token", "unsupported_response_type"),
        ("none", "unsupported_response_type"),
        ("device_code", "unsupported_response_type"),
    ],
)
def test_only_the_code_response_type(
    browser: Client, app: App, response_type: str, error: str
) -> None:
    _, challenge = pkce()
    params = authorize_params(app, challenge=challenge, response_type=response_type)
    assert redirected_error(browser.get(AUTHORIZE, params), params)["error"] == error


def test_missing_response_type(browser: Client, app: App) -> None:
    _, challenge = pkce()
    params = authorize_params(app, challenge=challenge)
    del params["response_type"]
    assert redirected_error(browser.get(AUTHORIZE, params), params)["error"] == "invalid_request"


@pytest.mark.parametrize("scope", ["openid admin", "orders:delete", "read write", "*"])
def test_unknown_scopes_are_invalid_scope(browser: Client, app: App, scope: str) -> None:
    _, challenge = pkce()
    params = authorize_params(app, challenge=challenge, scope=scope)
    query = redirected_error(browser.get(AUTHORIZE, params), params)
    assert query["error"] == "invalid_scope"
    assert query["error_description"].startswith("Unknown scope")


def test_scopes_the_users_role_cannot_grant_are_invalid_scope(browser: Client, app: App) -> None:
    _, challenge = pkce()
    params = authorize_params(app, challenge=challenge, scope="vendor:manage catalog:write")
    query = redirected_error(browser.get(AUTHORIZE, params), params)
    assert query["error"] == "invalid_scope"


def test_a_tampered_consent_form_cannot_add_role_scopes(
    browser: Client, backend: Client, app: App
) -> None:
    from contexts.auth.tests.oauth_support import form_fields

    verifier, challenge = pkce()
    params = authorize_params(app, challenge=challenge, scope="openid")
    fields = form_fields(browser.get(AUTHORIZE, params).content.decode())
    fields.update(scope="openid vendor:manage orders:read", allow="Allow")
    response = browser.post(AUTHORIZE, fields)
    code = query_of(response["Location"])["code"]
    body = exchange(backend, app, code, verifier).json()
    assert body["scope"] == "openid orders:read"  # the customer's own scope, not the vendor's


# --- token endpoint ---------------------------------------------------------------------------
def token_error(response: Any, error: str, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response["Cache-Control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert "access_token" not in body
    return body


def test_wrong_pkce_verifier(browser: Client, backend: Client, app: App) -> None:
    code, _ = get_code(browser, app)
    other_verifier, _ = pkce()
    token_error(exchange(backend, app, code, other_verifier), "invalid_grant")


def test_missing_pkce_verifier(browser: Client, backend: Client, app: App) -> None:
    code, _ = get_code(browser, app)
    token_error(exchange(backend, app, code, None), "invalid_request")


def test_a_failed_exchange_spends_the_code(browser: Client, backend: Client, app: App) -> None:
    code, verifier = get_code(browser, app)
    token_error(exchange(backend, app, code, "x" * 43), "invalid_grant")
    token_error(exchange(backend, app, code, verifier), "invalid_grant")


def test_replayed_code_is_refused_and_revokes_what_it_issued(
    browser: Client, backend: Client, app: App, events: Any
) -> None:
    code, verifier = get_code(browser, app)
    first = exchange(backend, app, code, verifier).json()
    second_generation = refresh(backend, app, first["refresh_token"]).json()
    with events():
        token_error(exchange(backend, app, code, verifier), "invalid_grant")
    # Everything descended from that code is revoked (RFC 6749 §4.1.2, RFC 9700 §4.5).
    token_error(refresh(backend, app, second_generation["refresh_token"]), "invalid_grant")
    with pytest.raises(RevokedTokenError):
        authenticate_principal(second_generation["access_token"])
    assert OAuthGrant.objects.get(code=code).replayed_at is not None


def test_a_replay_racing_the_first_exchange_still_revokes(
    browser: Client, backend: Client, app: App, events: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, verifier = get_code(browser, app)
    # This exchange claimed the code, and a replay was seen before it finished (the
    # flag the replaying request sets): what this exchange issued must not survive.
    from contexts.auth.services.oauth import validator

    real = validator.BazaarOAuth2Validator.invalidate_authorization_code

    def replay_arrives_first(
        self: Any, client_id: str, code_: str, request: Any, *a: Any, **k: Any
    ) -> None:
        OAuthGrant.objects.filter(code=code_).update(replayed_at=timezone.now())
        real(self, client_id, code_, request)

    monkeypatch.setattr(
        validator.BazaarOAuth2Validator, "invalidate_authorization_code", replay_arrives_first
    )
    with events():
        body = token_error(exchange(backend, app, code, verifier), "invalid_grant")
    assert "more than once" in body["error_description"]
    assert not OAuthAccessToken.objects.exists()
    assert not OAuthRefreshToken.objects.filter(revoked__isnull=True).exists()
    assert OutboxMessage.objects.filter(event_type="auth.token_revoked").count() == 1


def test_expired_code(browser: Client, backend: Client, app: App) -> None:
    code, verifier = get_code(browser, app)
    grant = OAuthGrant.objects.get(code=code)
    lifetime = (grant.expires - grant.created).total_seconds()
    assert 55 <= lifetime <= 61  # OAUTH_AUTHORIZATION_CODE_TTL_SECONDS (60): short-lived
    OAuthGrant.objects.filter(code=code).update(expires=timezone.now() - timedelta(seconds=1))
    token_error(exchange(backend, app, code, verifier), "invalid_grant")


def test_code_issued_to_another_client(
    browser: Client, backend: Client, app: App, owner: User
) -> None:
    other = make_app(owner, name="Other")
    code, verifier = get_code(browser, app)
    token_error(exchange(backend, other, code, verifier), "invalid_grant")
    assert exchange(backend, app, code, verifier).status_code == 200  # not burnt for its client


def test_redirect_uri_must_repeat_the_authorized_one(
    browser: Client, backend: Client, owner: User
) -> None:
    two = make_app(owner, redirect_uris=[REDIRECT_URI, "https://client.example.test/other"])
    code, verifier = get_code(browser, two)
    response = exchange(
        backend, two, code, verifier, redirect_uri="https://client.example.test/other"
    )
    token_error(response, "invalid_request")


@pytest.mark.parametrize(
    "credentials",
    [
        {"client_secret": "wrong"},
        {"client_id": "no-such-client"},
        {"client_secret": ""},
    ],
)
def test_confidential_client_must_authenticate(
    browser: Client, backend: Client, app: App, credentials: dict[str, str]
) -> None:
    code, verifier = get_code(browser, app)
    token_error(exchange(backend, app, code, verifier, **credentials), "invalid_client", 401)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            {"grant_type": "password", "username": "casey@example.test", "password": "x"},
            "unsupported_grant_type",
        ),
        (
            {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "x"},
            "unsupported_grant_type",
        ),
        ({"grant_type": "implicit"}, "unsupported_grant_type"),
        (
            {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "x"},
            "unsupported_grant_type",
        ),
        ({}, "unsupported_grant_type"),
    ],
)
def test_unsupported_grant_types(
    backend: Client, app: App, data: dict[str, str], error: str
) -> None:
    token_error(post_form(backend, TOKEN, {**data, **app.credentials()}), error)


def test_password_grant_is_refused_even_for_a_real_password(
    backend: Client, app: App, user: User
) -> None:
    data = {
        "grant_type": "password",
        "username": user.email,
        "password": "correct-horse-battery-staple",
    }
    token_error(post_form(backend, TOKEN, {**data, **app.credentials()}), "unsupported_grant_type")


def test_refresh_cannot_widen_the_scope(browser: Client, backend: Client, app: App) -> None:
    first = tokens_for(browser, app, scope="openid profile")
    token_error(
        refresh(backend, app, first["refresh_token"], scope="openid profile email"), "invalid_scope"
    )
    token_error(refresh(backend, app, first["refresh_token"], scope="orders:read"), "invalid_scope")


def test_an_expired_refresh_token_is_refused(browser: Client, backend: Client, app: App) -> None:
    body = tokens_for(browser, app)
    # A refresh token dies OAUTH_REFRESH_TOKEN_TTL_SECONDS after its access token expired.
    OAuthAccessToken.objects.update(expires=timezone.now() - timedelta(days=31))
    token_error(refresh(backend, app, body["refresh_token"]), "invalid_grant")


def test_garbage_refresh_token(backend: Client, app: App) -> None:
    token_error(refresh(backend, app, "not-a-refresh-token"), "invalid_grant")


def test_inactive_users_tokens_stop_working(
    browser: Client, backend: Client, app: App, user: User
) -> None:
    code, verifier = get_code(browser, app)
    User.objects.filter(pk=user.pk).update(is_active=False)
    token_error(exchange(backend, app, code, verifier), "invalid_grant")


# --- tokens in URLs ----------------------------------------------------------------------------
def test_access_tokens_are_not_accepted_in_the_query_string(
    browser: Client, backend: Client, app: App
) -> None:
    body = tokens_for(browser, app, scope="openid profile")
    assert backend.get(USERINFO, {"access_token": body["access_token"]}).status_code in (400, 401)
    assert backend.post(USERINFO, {"access_token": body["access_token"]}).status_code in (400, 401)
    ok = backend.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert ok.status_code == 200
