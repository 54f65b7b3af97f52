"""Social log-in end to end against local fake GitHub and Google servers (real HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings as django_settings

from contexts.auth.models import CustomerStatus, SocialIdentity, User
from contexts.auth.tests.factories import make_user
from contexts.auth.tests.fake_oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    FakeProviderState,
    fake_provider,
)

pytestmark = [pytest.mark.django_db, pytest.mark.e2e]

CALLBACK_PATH = "/api/v1/auth/social/github/callback"


@pytest.fixture
def github(settings: Any) -> Iterator[FakeProviderState]:
    with fake_provider("github") as (base, state):
        settings.AUTH_SOCIAL_PROVIDERS = {
            **settings.AUTH_SOCIAL_PROVIDERS,
            "github": {
                "CLIENT_ID": CLIENT_ID,
                "CLIENT_SECRET": CLIENT_SECRET,
                "AUTHORIZE_URL": f"{base}/login/oauth/authorize",
                "TOKEN_URL": f"{base}/login/oauth/access_token",
                "API_URL": base,
            },
        }
        state.user = {"id": 4242, "login": "octo", "name": "Octo Cat"}
        state.emails = [
            {
                "email": "octo@example.test",
                "primary": True,
                "verified": True,
                "visibility": "public",
            },
            {"email": "other@example.test", "primary": False, "verified": True, "visibility": None},
        ]
        yield state


def start(api: Any, provider: str = "github") -> dict[str, Any]:
    response = api.get(f"/api/v1/auth/social/{provider}/authorize")
    assert response.status_code == 200, response.content
    return dict(response.json()["data"])


def authorize_at_provider(url: str) -> str:
    """The browser's trip: the provider redirects back to our callback with code and state."""
    response = requests.get(url, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == django_settings.SITE_URL
    return f"{location.path}?{location.query}"


def login_with_github(api: Any) -> Any:
    return api.get(authorize_at_provider(start(api)["authorization_url"]))


def test_providers_are_listed_when_configured(api: Any, github: FakeProviderState) -> None:
    response = api.get("/api/v1/auth/social/providers")
    assert response.status_code == 200
    assert response.json()["data"] == [
        {
            "name": "github",
            "display_name": "GitHub",
            "authorize_url": "/api/v1/auth/social/github/authorize",
        }
    ]


def test_unconfigured_providers_are_not_offered(api: Any, settings: Any) -> None:
    settings.AUTH_SOCIAL_PROVIDERS = {
        name: {**conf, "CLIENT_ID": ""} for name, conf in settings.AUTH_SOCIAL_PROVIDERS.items()
    }
    assert api.get("/api/v1/auth/social/providers").json()["data"] == []
    assert api.get("/api/v1/auth/social/github/authorize").status_code == 404
    assert api.get("/api/v1/auth/social/myspace/authorize").status_code == 404


def test_authorization_request_carries_state_and_pkce(api: Any, github: FakeProviderState) -> None:
    data = start(api)
    requests.get(data["authorization_url"], allow_redirects=False, timeout=5)
    (sent,) = github.authorize_requests
    assert sent["state"] == data["state"]
    assert len(sent["state"]) >= 32
    assert sent["code_challenge_method"] == "S256"
    assert len(sent["code_challenge"]) == 43
    assert sent["redirect_uri"] == django_settings.SITE_URL + CALLBACK_PATH
    assert sent["scope"] == "read:user user:email"


def test_first_login_creates_a_verified_customer(api: Any, github: FakeProviderState) -> None:
    response = login_with_github(api)
    assert response.status_code == 200, response.content
    tokens = response.json()["data"]
    me = api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()[
        "data"
    ]
    assert me["email"] == "octo@example.test"
    assert me["email_verified"]
    assert me["full_name"] == "Octo Cat"
    assert me["customer_status"] == CustomerStatus.ACTIVE
    assert me["roles"] == ["customer"]
    identity = SocialIdentity.objects.get()
    assert (identity.provider, identity.subject, str(identity.user_id)) == (
        "github",
        "4242",
        me["id"],
    )
    # the token exchange proved possession of the PKCE verifier
    (exchange,) = github.exchanges
    assert exchange["code_verifier"]
    assert exchange["grant_type"] == "authorization_code"


def test_existing_verified_account_is_linked_by_verified_email(
    api: Any, github: FakeProviderState
) -> None:
    user = make_user(email="octo@example.test")
    response = login_with_github(api)
    assert response.status_code == 200
    assert SocialIdentity.objects.get().user_id == user.pk
    assert User.objects.count() == 1


def test_existing_unverified_account_is_not_linked(api: Any, github: FakeProviderState) -> None:
    make_user(email="octo@example.test", email_verified_at=None, customer_status="pending")
    response = login_with_github(api)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_verification_required"
    assert not SocialIdentity.objects.exists()


def test_unverified_provider_email_neither_links_nor_creates(
    api: Any, github: FakeProviderState
) -> None:
    make_user(email="octo@example.test")
    github.emails = [
        {"email": "octo@example.test", "primary": True, "verified": False, "visibility": None}
    ]
    response = login_with_github(api)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unverified_email"
    assert not SocialIdentity.objects.exists()


def test_linked_identity_logs_in_even_after_the_email_changed(
    api: Any, github: FakeProviderState
) -> None:
    first = login_with_github(api).json()["data"]
    github.emails = [
        {"email": "new-address@example.test", "primary": True, "verified": True, "visibility": None}
    ]
    second = login_with_github(api)
    assert second.status_code == 200
    me = lambda t: api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {t}").json()["data"]["id"]  # noqa: E731
    assert me(first["access_token"]) == me(second.json()["data"]["access_token"])
    assert User.objects.count() == 1


def test_state_is_single_use_and_must_match(api: Any, github: FakeProviderState) -> None:
    callback = authorize_at_provider(start(api)["authorization_url"])
    assert api.get(callback).status_code == 200
    replay = api.get(callback)
    assert replay.status_code == 400
    assert replay.json()["error"]["code"] == "invalid_state"
    for query in ["code=abc&state=forged", "code=abc", "state=", ""]:
        response = api.get(f"{CALLBACK_PATH}?{query}")
        assert response.status_code == 400, query


def test_a_code_from_another_flow_fails_pkce(api: Any, github: FakeProviderState) -> None:
    flow_a = start(api)
    flow_b = start(api)
    code_a = authorize_at_provider(flow_a["authorization_url"]).split("code=")[1].split("&")[0]
    # attacker injects their code into the victim's flow (B's state, so B's verifier)
    response = api.get(f"{CALLBACK_PATH}?code={code_a}&state={flow_b['state']}")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "social_provider_error"
    assert github.exchanges[-1]["code"] == code_a
    assert not User.objects.exists()


def test_provider_refusal_and_unreachable_provider(
    api: Any, github: FakeProviderState, settings: Any
) -> None:
    denied = api.get(f"{CALLBACK_PATH}?error=access_denied&state=x")
    assert denied.status_code == 400
    data = start(api)
    callback = authorize_at_provider(data["authorization_url"])
    settings.AUTH_SOCIAL_PROVIDERS = {
        **settings.AUTH_SOCIAL_PROVIDERS,
        "github": {
            **settings.AUTH_SOCIAL_PROVIDERS["github"],
            "TOKEN_URL": "http://127.0.0.1:9/unreachable",
        },
    }
    response = api.get(callback)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "social_provider_error"


def test_unknown_callback_query_parameters_are_refused(api: Any, github: FakeProviderState) -> None:
    response = api.get(f"{CALLBACK_PATH}?code=a&state=b&debug=1")
    assert response.status_code == 400
    assert "debug" in response.json()["error"]["fields"]


def test_google_is_the_second_provider(api: Any, settings: Any) -> None:
    with fake_provider("google") as (base, state):
        settings.AUTH_SOCIAL_PROVIDERS = {
            **settings.AUTH_SOCIAL_PROVIDERS,
            "google": {
                "CLIENT_ID": CLIENT_ID,
                "CLIENT_SECRET": CLIENT_SECRET,
                "AUTHORIZE_URL": f"{base}/o/oauth2/v2/auth",
                "TOKEN_URL": f"{base}/token",
                "USERINFO_URL": f"{base}/v1/userinfo",
            },
        }
        state.user = {
            "sub": "g-123",
            "email": "Gina@Example.test",
            "email_verified": True,
            "name": "Gina",
        }
        names = [p["name"] for p in api.get("/api/v1/auth/social/providers").json()["data"]]
        assert "google" in names
        data = start(api, "google")
        response = api.get(authorize_at_provider(data["authorization_url"]))
        assert state.authorize_requests[-1]["scope"] == "openid email profile"
        assert state.exchanges[-1]["code_verifier"]
        assert response.status_code == 200, response.content
        assert SocialIdentity.objects.get().user.email == "gina@example.test"
