"""The provider's happy paths: consent, code + PKCE, the token formats, refresh, client
credentials, userinfo, introspection, revocation (Django test client, real database)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import jwt
import pytest
from django.test import Client

from bazaar_platform.events.models import OutboxMessage
from bazaar_platform.tokens import (
    ClientPrincipal,
    RevokedTokenError,
    TokenPrincipal,
    authenticate_principal,
)
from contexts.auth.models import OAuthAccessToken, OAuthConsent, OAuthRefreshToken, User
from contexts.auth.services.keys import current_signing_key, jwks_document
from contexts.auth.tests.oauth_support import (
    AUTHORIZE,
    INTROSPECT,
    REDIRECT_URI,
    REVOKE,
    TOKEN,
    USERINFO,
    App,
    approve,
    authorize_params,
    exchange,
    form_fields,
    get_code,
    pkce,
    post_form,
    query_of,
    refresh,
    tokens_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def public_key_for(token: str) -> Any:
    kid = jwt.get_unverified_header(token)["kid"]
    entry = next(k for k in jwks_document()["keys"] if k["kid"] == kid)
    return jwt.PyJWK(entry).key


# --- consent ---------------------------------------------------------------------------------
def test_consent_page_shows_the_app_its_owner_and_the_scopes(browser: Client, app: App) -> None:
    _, challenge = pkce()
    page = browser.get(
        AUTHORIZE, authorize_params(app, scope="openid profile email", challenge=challenge)
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Acme Orders wants to access your Bazaar account" in html
    assert "Published by Olga Owner" in html
    for description in (
        "Sign you in with your Bazaar account",
        "See your name",
        "See your e-mail address",
    ):
        assert description in html
    assert "client.example.test" in html  # where the user will be sent
    assert page["X-Frame-Options"] == "DENY"  # RFC 9700 §4.16: no clickjacking of consent
    fields = form_fields(html)
    assert fields["code_challenge_method"] == "S256"


def test_approval_redirects_with_code_state_and_issuer(
    browser: Client, app: App, events: Any
) -> None:
    _, challenge = pkce()
    params = authorize_params(app, challenge=challenge)
    with events():
        response = approve(browser, params)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = query_of(location)
    assert query["state"] == params["state"]
    assert query["iss"] == "http://127.0.0.1:8000"  # RFC 9207 (the SITE_URL of the tests)
    assert len(query["code"]) >= 30
    event = OutboxMessage.objects.get(event_type="auth.app_authorized")
    assert event.message["payload"]["client_id"] == app.client_id
    assert event.message["payload"]["scopes"] == ["openid", "profile"]


def test_consent_is_remembered_per_application_and_scope_set(
    browser: Client, app: App, user: User
) -> None:
    get_code(browser, app, scope="openid profile")
    consent = OAuthConsent.objects.get(user=user, application=app.application)
    assert consent.scope == "openid profile"

    # Same or fewer scopes: no page, straight back with a code.
    for scope in ("openid profile", "profile"):
        _, challenge = pkce()
        params = authorize_params(app, scope=scope, challenge=challenge)
        response = browser.get(AUTHORIZE, params)
        assert response.status_code == 302, scope
        assert query_of(response["Location"])["state"] == params["state"]
        assert "code" in query_of(response["Location"])

    # More scopes: the page again; approving widens the stored consent.
    _, challenge = pkce()
    params = authorize_params(app, scope="openid email", challenge=challenge)
    assert browser.get(AUTHORIZE, params).status_code == 200
    approve(browser, params)
    consent.refresh_from_db()
    assert consent.scope == "openid profile email"
    assert OutboxMessage.objects.filter(event_type="auth.app_authorized").count() == 2

    # prompt=consent always asks.
    _, challenge = pkce()
    asked = browser.get(AUTHORIZE, authorize_params(app, challenge=challenge, prompt="consent"))
    assert asked.status_code == 200


def test_consent_is_per_user(browser: Client, app: App, user_factory: Any) -> None:
    get_code(browser, app)
    other = Client()
    other.force_login(user_factory())
    _, challenge = pkce()
    assert other.get(AUTHORIZE, authorize_params(app, challenge=challenge)).status_code == 200


def test_prompt_none_without_consent_is_consent_required(browser: Client, app: App) -> None:
    _, challenge = pkce()
    params = authorize_params(app, challenge=challenge, prompt="none")
    response = browser.get(AUTHORIZE, params)
    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == "consent_required"
    assert query["state"] == params["state"]
    assert query["iss"] == "http://127.0.0.1:8000"


def test_prompt_none_without_a_session_is_login_required(app: App) -> None:
    _, challenge = pkce()
    params = authorize_params(app, challenge=challenge, prompt="none")
    response = Client().get(AUTHORIZE, params)
    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == "login_required"
    assert query["state"] == params["state"]


def test_no_session_goes_to_the_login_page_and_back(app: App, user: User) -> None:
    client = Client()
    _, challenge = pkce()
    params = authorize_params(app, challenge=challenge)
    response = client.get(AUTHORIZE, params)
    assert response.status_code == 302
    assert response["Location"].startswith("/o/login/?next=")
    login_page = client.get(response["Location"])
    fields = form_fields(login_page.content.decode(), "loginForm")
    fields.update(email=user.email, password="correct-horse-battery-staple")
    back = client.post("/o/login/", fields)
    assert back.status_code == 302
    assert back["Location"].startswith(AUTHORIZE)
    assert client.get(back["Location"]).status_code == 200  # the consent page


def test_login_page_refuses_bad_credentials_and_foreign_next(user: User) -> None:
    client = Client()
    bad = client.post("/o/login/", {"email": user.email, "password": "wrong", "next": "/o/"})
    assert bad.status_code == 400
    assert "login-error" in bad.content.decode()
    ok = client.post(
        "/o/login/",
        {
            "email": user.email,
            "password": "correct-horse-battery-staple",
            "next": "https://evil.test/",
        },
    )
    assert ok.status_code == 302
    assert ok["Location"] == "/"  # never an open redirect


def test_denying_returns_access_denied_with_state(browser: Client, app: App) -> None:
    _, challenge = pkce()
    params = authorize_params(app, challenge=challenge)
    response = approve(browser, params, allow=False)
    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == "access_denied"
    assert query["state"] == params["state"]
    assert query["iss"] == "http://127.0.0.1:8000"
    assert not OAuthConsent.objects.exists()


def test_staff_trusted_application_skips_the_page(browser: Client, app: App) -> None:
    app.application.skip_authorization = True
    app.application.save(update_fields=["skip_authorization"])
    _, challenge = pkce()
    response = browser.get(AUTHORIZE, authorize_params(app, challenge=challenge))
    assert response.status_code == 302
    assert "code" in query_of(response["Location"])


# --- the code exchange and the token formats ----------------------------------------------
def test_code_exchange_issues_an_rfc9068_access_token_and_an_id_token(
    browser: Client, backend: Client, app: App, user: User
) -> None:
    code, verifier = get_code(browser, app, scope="openid profile email")
    response = exchange(backend, app, code, verifier)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == "openid profile email"
    key = current_signing_key()

    access = body["access_token"]
    header = jwt.get_unverified_header(access)
    assert header == {"alg": "RS256", "typ": "at+jwt", "kid": key.kid}  # same key, same kid scheme
    claims = jwt.decode(
        access,
        public_key_for(access),
        algorithms=["RS256"],
        audience="bazaar-api",
        issuer="http://127.0.0.1:8000",
    )
    assert claims["sub"] == str(user.pk)
    assert claims["client_id"] == app.client_id
    assert claims["scope"] == "openid profile email"
    assert claims["roles"] == []  # no scope here needs a role
    assert claims["exp"] - claims["iat"] == 300
    assert set(claims) >= {"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"}

    # Every context verifies it offline with the platform verifier.
    principal = authenticate_principal(access)
    assert isinstance(principal, TokenPrincipal)
    assert principal.user_id == user.pk
    assert principal.client_id == app.client_id
    assert principal.scopes == {"openid", "profile", "email"}

    # Only the checksum is stored (RFC 9700 token storage), plus the jti.
    row = OAuthAccessToken.objects.get(jti=claims["jti"])
    assert row.token == ""
    assert row.token_checksum == hashlib.sha256(access.encode()).hexdigest()
    assert row.user == user
    refresh_row = OAuthRefreshToken.objects.get(access_token=row)
    assert refresh_row.token == ""

    id_token = body["id_token"]
    assert jwt.get_unverified_header(id_token) == {"alg": "RS256", "typ": "JWT", "kid": key.kid}
    id_claims = jwt.decode(
        id_token,
        public_key_for(id_token),
        algorithms=["RS256"],
        audience=app.client_id,
        issuer="http://127.0.0.1:8000",
    )
    assert id_claims["sub"] == str(user.pk)
    assert id_claims["name"] == "Casey Customer"
    assert id_claims["email"] == "casey@example.test"
    assert id_claims["email_verified"] is True
    digest = hashlib.sha256(access.encode()).digest()
    assert id_claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def test_id_token_carries_the_nonce_and_only_scoped_claims(
    browser: Client, backend: Client, app: App
) -> None:
    verifier, challenge = pkce()
    params = authorize_params(app, scope="openid", challenge=challenge, nonce="n-0S6_WzA2Mj")
    code = query_of(approve(browser, params)["Location"])["code"]
    body = exchange(backend, app, code, verifier).json()
    id_claims = claims_of(body["id_token"])
    assert id_claims["nonce"] == "n-0S6_WzA2Mj"
    assert "name" not in id_claims and "email" not in id_claims


def test_public_client_uses_pkce_without_a_secret(
    browser: Client, backend: Client, public_app: App
) -> None:
    assert public_app.secret is None
    code, verifier = get_code(browser, public_app)
    response = exchange(backend, public_app, code, verifier)
    assert response.status_code == 200
    assert "refresh_token" in response.json()


def test_confidential_client_may_use_http_basic(browser: Client, backend: Client, app: App) -> None:
    code, verifier = get_code(browser, app)
    basic = base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()
    response = post_form(
        backend,
        TOKEN,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200


# --- refresh with rotation -------------------------------------------------------------------
def test_refresh_rotates_and_the_old_access_token_is_denied(
    browser: Client, backend: Client, app: App, events: Any
) -> None:
    first = tokens_for(browser, app)
    with events():
        response = refresh(backend, app, first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert claims_of(second["access_token"])["scope"] == "openid profile"
    assert "id_token" in second  # openid scope: a fresh ID token on refresh
    # The rotated-away access token is gone from the database and on the deny list.
    with pytest.raises(RevokedTokenError):
        authenticate_principal(first["access_token"])
    assert authenticate_principal(second["access_token"]).client_id == app.client_id
    revoked = OutboxMessage.objects.get(event_type="auth.token_revoked")
    assert revoked.message["payload"]["reason"] == "refresh_rotated"


def test_replaying_a_rotated_refresh_token_revokes_the_family(
    browser: Client, backend: Client, app: App, events: Any
) -> None:
    first = tokens_for(browser, app)
    second = refresh(backend, app, first["refresh_token"]).json()
    with events():
        replay = refresh(backend, app, first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # The legitimate holder's current tokens died with the family (RFC 9700 §4.14.2).
    assert refresh(backend, app, second["refresh_token"]).json()["error"] == "invalid_grant"
    with pytest.raises(RevokedTokenError):
        authenticate_principal(second["access_token"])
    reasons = {
        m.message["payload"]["reason"]
        for m in OutboxMessage.objects.filter(event_type="auth.token_revoked")
    }
    assert "refresh_token_replayed" in reasons


def test_refresh_may_narrow_the_scope(browser: Client, backend: Client, app: App) -> None:
    first = tokens_for(browser, app, scope="openid profile email")
    narrowed = refresh(backend, app, first["refresh_token"], scope="profile").json()
    assert narrowed["scope"] == "profile"
    assert claims_of(narrowed["access_token"])["scope"] == "profile"


def test_refresh_by_another_client_is_refused(
    browser: Client, backend: Client, app: App, owner: User
) -> None:
    from contexts.auth.tests.oauth_support import make_app

    thief = make_app(owner, name="Other")
    first = tokens_for(browser, app)
    response = refresh(backend, thief, first["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


# --- client credentials ----------------------------------------------------------------------
def test_client_credentials_token_names_the_application_not_a_user(
    backend: Client, cc_app: App
) -> None:
    response = post_form(
        backend,
        TOKEN,
        {"grant_type": "client_credentials", "scope": "catalog:read", **cc_app.credentials()},
    )
    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body and "id_token" not in body
    claims = claims_of(body["access_token"])
    assert claims["sub"] == cc_app.client_id == claims["client_id"]  # RFC 9068 §2.2
    assert claims["roles"] == []
    principal = authenticate_principal(body["access_token"])
    assert isinstance(principal, ClientPrincipal)
    assert principal.scopes == {"catalog:read"}
    assert principal.is_authenticated is False  # IsAuthenticated and role guards refuse it


def test_client_credentials_cannot_get_user_scopes(backend: Client, cc_app: App) -> None:
    for scope in ("openid", "profile", "orders:read", "vendor:manage"):
        response = post_form(
            backend,
            TOKEN,
            {"grant_type": "client_credentials", "scope": scope, **cc_app.credentials()},
        )
        assert response.status_code == 400, scope
        assert response.json()["error"] == "invalid_scope"


def test_an_authorization_code_app_cannot_use_client_credentials(backend: Client, app: App) -> None:
    response = post_form(backend, TOKEN, {"grant_type": "client_credentials", **app.credentials()})
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


# --- userinfo, introspection, revocation ----------------------------------------------------
def test_userinfo_releases_claims_by_scope(
    browser: Client, backend: Client, app: App, user: User
) -> None:
    body = tokens_for(browser, app, scope="openid profile")
    info = backend.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert info.status_code == 200
    assert info.json() == {"sub": str(user.pk), "name": "Casey Customer"}


def test_userinfo_needs_openid_and_refuses_id_tokens(
    browser: Client, backend: Client, app: App
) -> None:
    no_openid = tokens_for(browser, app, scope="profile")
    response = backend.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {no_openid['access_token']}")
    assert response.status_code == 403
    with_openid = tokens_for(browser, app, scope="openid profile")
    as_bearer = backend.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {with_openid['id_token']}")
    assert as_bearer.status_code == 401  # an ID token is not an access token


def test_userinfo_refuses_first_party_tokens(backend: Client, user: User, bearer: Any) -> None:
    response = backend.get(USERINFO, **bearer(user))
    assert response.status_code == 401


def test_introspection_describes_the_clients_own_tokens_only(
    browser: Client, backend: Client, app: App, owner: User, user: User
) -> None:
    from contexts.auth.tests.oauth_support import make_app

    body = tokens_for(browser, app)
    claims = claims_of(body["access_token"])
    info = post_form(
        backend, INTROSPECT, {"token": body["access_token"], **app.credentials()}
    ).json()
    assert info == {
        "active": True,
        "token_type": "Bearer",
        "scope": "openid profile",
        "client_id": app.client_id,
        "sub": str(user.pk),
        "aud": "bazaar-api",
        "iss": "http://127.0.0.1:8000",
        "exp": claims["exp"],
        "iat": claims["iat"],
        "jti": claims["jti"],
    }
    refresh_info = post_form(
        backend,
        INTROSPECT,
        {"token": body["refresh_token"], "token_type_hint": "refresh_token", **app.credentials()},
    ).json()
    assert refresh_info["active"] is True
    assert refresh_info["token_type"] == "refresh_token"
    other = make_app(owner, name="Nosy")
    assert post_form(
        backend, INTROSPECT, {"token": body["access_token"], **other.credentials()}
    ).json() == {"active": False}
    assert post_form(backend, INTROSPECT, {"token": "nonsense", **app.credentials()}).json() == {
        "active": False
    }


def test_introspection_needs_client_authentication(backend: Client, app: App) -> None:
    response = post_form(
        backend, INTROSPECT, {"token": "x", "client_id": app.client_id, "client_secret": "wrong"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    missing = post_form(backend, INTROSPECT, app.credentials())
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    assert backend.get(INTROSPECT, {"token": "x"}).status_code == 405  # RFC 7662: POST only


def test_revoking_an_access_token_denies_it_everywhere_at_once(
    browser: Client, backend: Client, app: App, events: Any
) -> None:
    body = tokens_for(browser, app)
    jti = claims_of(body["access_token"])["jti"]
    with events():
        response = post_form(
            backend,
            REVOKE,
            {"token": body["access_token"], "token_type_hint": "access_token", **app.credentials()},
        )
    assert response.status_code == 200
    with pytest.raises(RevokedTokenError):
        authenticate_principal(body["access_token"])
    event = OutboxMessage.objects.get(event_type="auth.token_revoked")
    assert event.message["payload"]["jti"] == jti
    assert event.message["payload"]["reason"] == "client_revoked"
    # RFC 7009 §2.1: the bound refresh token goes too.
    assert refresh(backend, app, body["refresh_token"]).json()["error"] == "invalid_grant"
    introspected = post_form(
        backend, INTROSPECT, {"token": body["access_token"], **app.credentials()}
    )
    assert introspected.json() == {"active": False}


def test_revoking_a_refresh_token_revokes_its_access_token(
    browser: Client, backend: Client, app: App, events: Any
) -> None:
    body = tokens_for(browser, app)
    with events():
        post_form(
            backend,
            REVOKE,
            {
                "token": body["refresh_token"],
                "token_type_hint": "refresh_token",
                **app.credentials(),
            },
        )
    assert refresh(backend, app, body["refresh_token"]).json()["error"] == "invalid_grant"
    with pytest.raises(RevokedTokenError):
        authenticate_principal(body["access_token"])


def test_a_client_cannot_revoke_another_clients_token(
    browser: Client, backend: Client, app: App, owner: User, events: Any
) -> None:
    from contexts.auth.tests.oauth_support import make_app

    body = tokens_for(browser, app)
    other = make_app(owner, name="Other")
    with events():
        response = post_form(
            backend, REVOKE, {"token": body["access_token"], **other.credentials()}
        )
    assert response.status_code == 200  # RFC 7009: no disclosure
    assert authenticate_principal(body["access_token"]).client_id == app.client_id
