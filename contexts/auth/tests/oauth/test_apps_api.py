"""Developers' applications (``/api/v1/auth/apps``), users' authorizations
(``/api/v1/auth/authorizations``), deactivation, and the staff admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from bazaar_platform.events.models import OutboxMessage
from bazaar_platform.tokens import RevokedTokenError, authenticate_principal
from contexts.auth.models import OAuthAccessToken, OAuthApplication, OAuthConsent, User
from contexts.auth.services.accounts import user_deactivate
from contexts.auth.tests.factories import make_user
from contexts.auth.tests.oauth_support import (
    AUTHORIZE,
    REDIRECT_URI,
    TOKEN,
    App,
    authorize_params,
    pkce,
    post_form,
    refresh,
    tokens_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
APPS = "/api/v1/auth/apps"


def register(api: APIClient, headers: dict[str, Any], **overrides: Any) -> Any:
    body = {
        "name": "Acme Orders",
        "redirect_uris": [REDIRECT_URI],
        "client_type": "confidential",
        "logo_url": "https://cdn.example.test/acme.png",
        **overrides,
    }
    return api.post(APPS, body, format="json", **headers)


def as_app(data: dict[str, Any]) -> App:
    return App(
        application=OAuthApplication.objects.get(client_id=data["client_id"]),
        secret=data["client_secret"],
    )


# --- registration ------------------------------------------------------------------------------
def test_register_a_confidential_app_and_see_the_secret_once(
    api: APIClient, owner: User, bearer: Any
) -> None:
    response = register(api, bearer(owner))
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    data = response.json()["data"]
    assert data["name"] == "Acme Orders"
    assert data["client_type"] == "confidential"
    assert data["grant_type"] == "authorization_code"
    assert data["redirect_uris"] == [REDIRECT_URI]
    secret = data["client_secret"]
    assert len(secret) >= 64
    stored = OAuthApplication.objects.get(client_id=data["client_id"])
    assert stored.user == owner
    assert stored.client_secret != secret
    # A (salted SHA-256) hash, not the secret; not the password KDF (secrets are random).
    assert identify_hasher(stored.client_secret).algorithm == "bazaar_client_secret_sha256"
    assert check_password(secret, stored.client_secret)
    assert not check_password(secret[:-1] + "x", stored.client_secret)
    listed = api.get(APPS, **bearer(owner)).json()["data"]
    assert [a["client_id"] for a in listed] == [data["client_id"]]
    assert "client_secret" not in listed[0]
    detail = api.get(f"{APPS}/{data['client_id']}", **bearer(owner)).json()["data"]
    assert "client_secret" not in detail


def test_register_a_public_app_has_no_secret(api: APIClient, owner: User, bearer: Any) -> None:
    data = register(api, bearer(owner), client_type="public").json()["data"]
    assert data["client_secret"] is None


def test_register_a_server_to_server_app(
    api: APIClient, owner: User, bearer: Any, backend: Client
) -> None:
    data = register(api, bearer(owner), grant_type="client_credentials", redirect_uris=[]).json()[
        "data"
    ]
    assert data["grant_type"] == "client_credentials"
    token = post_form(
        backend,
        TOKEN,
        {
            "grant_type": "client_credentials",
            "client_id": data["client_id"],
            "client_secret": data["client_secret"],
        },
    )
    assert token.status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"redirect_uris": ["http://client.example.test/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["myapp://callback"]}, "redirect_uris"),
        ({"redirect_uris": ["https://*.example.test/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["https://client.example.test/cb#x"]}, "redirect_uris"),
        ({"redirect_uris": ["https://user:pw@client.example.test/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["not a url"]}, "redirect_uris"),
        ({"redirect_uris": []}, "redirect_uris"),
        ({"logo_url": "http://cdn.example.test/logo.png"}, "logo_url"),
        ({"client_type": "secret-ish"}, "client_type"),
        ({"grant_type": "password"}, "grant_type"),
        ({"grant_type": "implicit"}, "grant_type"),
        (
            {"grant_type": "client_credentials", "client_type": "public", "redirect_uris": []},
            "client_type",
        ),
        ({"name": ""}, "name"),
    ],
)
def test_registration_refuses_bad_input(
    api: APIClient, owner: User, bearer: Any, overrides: dict[str, Any], field: str
) -> None:
    response = register(api, bearer(owner), **overrides)
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert not OAuthApplication.objects.exists()


@pytest.mark.parametrize(
    "uri",
    [
        "http://localhost:3000/callback",
        "http://127.0.0.1/callback",
        "http://[::1]:8080/cb",
        "https://a.example.test/cb?x=1",
    ],
)
def test_loopback_http_and_https_redirects_are_accepted(
    api: APIClient, owner: User, bearer: Any, uri: str
) -> None:
    assert register(api, bearer(owner), redirect_uris=[uri]).status_code == 201


def test_the_first_party_client_id_is_reserved(owner: User) -> None:
    application = OAuthApplication(
        user=owner,
        name="Impostor",
        client_id="bazaar-first-party",
        client_type="public",
        authorization_grant_type="authorization-code",
        redirect_uris=REDIRECT_URI,
    )
    with pytest.raises(ValidationError) as caught:
        application.full_clean()
    assert "client_id" in caught.value.message_dict


def test_signing_in_is_required(api: APIClient) -> None:
    assert api.get(APPS).status_code == 401
    assert register(api, {}).status_code == 401


# --- secret rotation, other people's apps, deletion ------------------------------------------
def test_rotating_the_secret_retires_the_old_one(
    api: APIClient, owner: User, bearer: Any, browser: Client, backend: Client
) -> None:
    old = as_app(register(api, bearer(owner)).json()["data"])
    tokens = tokens_for(browser, old)
    response = api.post(f"{APPS}/{old.client_id}/secret", **bearer(owner))
    assert response.status_code == 200
    new = as_app(response.json()["data"])
    assert new.secret and new.secret != old.secret
    assert refresh(backend, old, tokens["refresh_token"]).json()["error"] == "invalid_client"
    assert refresh(backend, new, tokens["refresh_token"]).status_code == 200


def test_a_public_app_has_no_secret_to_rotate(api: APIClient, owner: User, bearer: Any) -> None:
    data = register(api, bearer(owner), client_type="public").json()["data"]
    response = api.post(f"{APPS}/{data['client_id']}/secret", **bearer(owner))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "public_client"


def test_other_peoples_apps_are_invisible(api: APIClient, owner: User, bearer: Any) -> None:
    data = register(api, bearer(owner)).json()["data"]
    stranger = bearer(make_user())
    assert api.get(APPS, **stranger).json()["data"] == []
    assert api.get(f"{APPS}/{data['client_id']}", **stranger).status_code == 404
    assert api.post(f"{APPS}/{data['client_id']}/secret", **stranger).status_code == 404
    assert api.delete(f"{APPS}/{data['client_id']}", **stranger).status_code == 404
    assert OAuthApplication.objects.filter(client_id=data["client_id"]).exists()


def test_deleting_an_app_revokes_every_token_it_holds(
    api: APIClient, owner: User, bearer: Any, browser: Client, user: User, events: Any
) -> None:
    app = as_app(register(api, bearer(owner)).json()["data"])
    body = tokens_for(browser, app)
    with events():
        response = api.delete(f"{APPS}/{app.client_id}", **bearer(owner))
    assert response.status_code == 204
    assert not OAuthApplication.objects.exists()
    assert not OAuthConsent.objects.exists()
    with pytest.raises(RevokedTokenError):
        authenticate_principal(body["access_token"])
    revoked = OutboxMessage.objects.get(event_type="auth.app_access_revoked")
    assert revoked.message["payload"] == {
        "user_id": str(user.pk),
        "client_id": app.client_id,
        "by": "owner",
        "revoked_tokens": 1,
    }
    token_event = OutboxMessage.objects.get(event_type="auth.token_revoked")
    assert token_event.message["payload"]["reason"] == "application_deleted"


# --- the user's authorizations -----------------------------------------------------------------
def test_users_list_and_withdraw_their_authorizations(
    api: APIClient, app: App, browser: Client, backend: Client, user: User, bearer: Any, events: Any
) -> None:
    body = tokens_for(browser, app, scope="openid profile")
    listed = api.get("/api/v1/auth/authorizations", **bearer(user)).json()["data"]
    assert len(listed) == 1
    entry = listed[0]
    assert entry["client_id"] == app.client_id
    assert entry["name"] == "Acme Orders"
    assert entry["owner"] == "Olga Owner"
    assert entry["scopes"] == [
        {"name": "openid", "description": "Sign you in with your Bazaar account"},
        {"name": "profile", "description": "See your name"},
    ]
    with events():
        response = api.delete(f"/api/v1/auth/authorizations/{app.client_id}", **bearer(user))
    assert response.status_code == 204
    assert api.get("/api/v1/auth/authorizations", **bearer(user)).json()["data"] == []
    with pytest.raises(RevokedTokenError):
        authenticate_principal(body["access_token"])
    assert refresh(backend, app, body["refresh_token"]).json()["error"] == "invalid_grant"
    event = OutboxMessage.objects.get(event_type="auth.app_access_revoked")
    assert event.message["payload"]["by"] == "user"
    assert event.message["payload"]["revoked_tokens"] == 1
    # Consent is forgotten: the next request asks again.
    _, challenge = pkce()
    assert browser.get(AUTHORIZE, authorize_params(app, challenge=challenge)).status_code == 200
    again = api.delete(f"/api/v1/auth/authorizations/{app.client_id}", **bearer(user))
    assert again.status_code == 404


def test_withdrawing_one_app_leaves_the_others(
    api: APIClient, app: App, owner: User, browser: Client, user: User, bearer: Any, events: Any
) -> None:
    from contexts.auth.tests.oauth_support import make_app

    other = make_app(owner, name="Other")
    keep = tokens_for(browser, other)
    tokens_for(browser, app)
    with events():
        api.delete(f"/api/v1/auth/authorizations/{app.client_id}", **bearer(user))
    assert authenticate_principal(keep["access_token"]).client_id == other.client_id


def test_deactivation_revokes_every_authorization(
    app: App, browser: Client, backend: Client, user: User, events: Any
) -> None:
    body = tokens_for(browser, app)
    with events():
        user_deactivate(user_id=user.pk, reason="fraud")
    with pytest.raises(RevokedTokenError):
        authenticate_principal(body["access_token"])
    assert refresh(backend, app, body["refresh_token"]).json()["error"] == "invalid_grant"
    assert not OAuthConsent.objects.exists()
    payload = OutboxMessage.objects.get(event_type="auth.app_access_revoked").message["payload"]
    assert payload["by"] == "deactivated"


# --- staff ---------------------------------------------------------------------------------------
def test_staff_manage_every_app_in_the_admin(
    app: App, browser: Client, user: User, events: Any
) -> None:
    body = tokens_for(browser, app)
    staff = make_user(is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)
    changelist = admin.get("/admin/accounts/oauthapplication/")
    assert changelist.status_code == 200
    assert "Acme Orders" in changelist.content.decode()
    assert admin.get("/admin/accounts/oauthapplication/add/").status_code == 403
    change = admin.get(f"/admin/accounts/oauthapplication/{app.application.pk}/change/")
    assert change.status_code == 200
    assert "client_secret" not in change.content.decode()
    assert admin.get("/admin/accounts/oauthconsent/").status_code == 200
    with events():
        response = admin.post(
            f"/admin/accounts/oauthapplication/{app.application.pk}/delete/", {"post": "yes"}
        )
    assert response.status_code == 302
    assert not OAuthApplication.objects.exists()
    assert not OAuthAccessToken.objects.exists()
    with pytest.raises(RevokedTokenError):
        authenticate_principal(body["access_token"])
    payload = OutboxMessage.objects.get(event_type="auth.app_access_revoked").message["payload"]
    assert payload["by"] == "staff"
