"""OpenID discovery, the JWKS it names, and key rotation under third-party tokens."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from django.test import Client

from bazaar_platform.tokens import authenticate_principal
from bazaar_platform.tokens.jwks import invalidate_jwks
from contexts.auth.services.keys import signing_key_rotate
from contexts.auth.tests.oauth_support import App, refresh, tokens_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
SITE = "http://127.0.0.1:8000"


def test_discovery_advertises_what_the_server_does(backend: Client) -> None:
    response = backend.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    assert doc["issuer"] == SITE  # one issuer for first-party and third-party tokens
    assert doc["jwks_uri"] == f"{SITE}/.well-known/jwks.json"  # the key store's JWKS
    assert doc["authorization_endpoint"] == f"{SITE}/o/authorize/"
    assert doc["token_endpoint"] == f"{SITE}/o/token/"
    assert doc["userinfo_endpoint"] == f"{SITE}/o/userinfo/"
    assert doc["revocation_endpoint"] == f"{SITE}/o/revoke_token/"
    assert doc["introspection_endpoint"] == f"{SITE}/o/introspect/"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]  # not HS256
    assert doc["response_types_supported"] == ["code"]
    assert doc["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "client_credentials",
    ]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert "vendor:manage" in doc["scopes_supported"]
    assert set(doc["claims_supported"]) == {"sub", "name", "email", "email_verified"}
    assert "none" in doc["token_endpoint_auth_methods_supported"]
    assert "none" not in doc["introspection_endpoint_auth_methods_supported"]
    assert backend.get("/.well-known/oauth-authorization-server").json() == doc  # RFC 8414


def test_the_issuer_follows_site_url(backend: Client, settings: Any) -> None:
    settings.SITE_URL = "https://market.example.test"
    doc = backend.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == "https://market.example.test"
    assert doc["jwks_uri"] == "https://market.example.test/.well-known/jwks.json"


def test_tokens_verify_against_the_published_jwks(
    browser: Client, backend: Client, app: App
) -> None:
    body = tokens_for(browser, app, scope="openid")
    jwks = jwt.PyJWKSet.from_dict(backend.get("/.well-known/jwks.json").json())
    for token, audience in (
        (body["access_token"], "bazaar-api"),
        (body["id_token"], app.client_id),
    ):
        kid = jwt.get_unverified_header(token)["kid"]
        key = next(k for k in jwks.keys if k.key_id == kid)
        jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=SITE)


def test_after_a_key_rotation_old_tokens_verify_and_new_ones_use_the_new_key(
    browser: Client, backend: Client, app: App
) -> None:
    before = tokens_for(browser, app, scope="openid")
    untouched = tokens_for(browser, app, scope="openid")
    old_kid = jwt.get_unverified_header(before["access_token"])["kid"]
    signing_key_rotate()
    invalidate_jwks()
    assert authenticate_principal(untouched["access_token"]).client_id == app.client_id
    after = refresh(backend, app, before["refresh_token"]).json()
    new_kid = jwt.get_unverified_header(after["access_token"])["kid"]
    assert new_kid != old_kid
    assert jwt.get_unverified_header(after["id_token"])["kid"] == new_kid
    assert authenticate_principal(after["access_token"]).client_id == app.client_id
    kids = {k["kid"] for k in backend.get("/.well-known/jwks.json").json()["keys"]}
    assert {old_kid, new_kid} <= kids  # the retired key stays published while its tokens live
