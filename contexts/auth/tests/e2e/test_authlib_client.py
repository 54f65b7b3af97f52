"""A real third-party client against a live provider.

The client is authlib's ``OAuth2Session`` (requests), the way a developer would write
one; the user is a ``requests.Session`` with cookies that signs in and approves the
consent page over HTTP. Tokens are checked with PyJWT against the published JWKS.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError as AuthlibOAuth2Error
from authlib.integrations.requests_client import OAuth2Session

from bazaar_platform.tokens import RevokedTokenError, authenticate_principal
from contexts.auth.tests.e2e.conftest import Provider
from contexts.auth.tests.oauth_support import REDIRECT_URI, form_fields

pytestmark = [pytest.mark.e2e]
SCOPES = "openid profile orders:read"


def sign_in_and_approve(provider: Provider, authorization_url: str) -> str:
    """The user's side, over HTTP: log-in page, consent page, Allow. Returns the redirect
    back to the client (not followed: that is the client's own server)."""
    browser = requests.Session()
    response = browser.get(authorization_url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    login_url = urljoin(provider.url, response.headers["Location"])
    assert urlsplit(login_url).path == "/o/login/"
    login_page = browser.get(login_url, timeout=10)
    fields = form_fields(login_page.text, "loginForm")
    fields.update(email=provider.user.email, password=provider.password)
    response = browser.post(login_url, data=fields, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]
    consent_url = urljoin(provider.url, response.headers["Location"])
    consent = browser.get(consent_url, allow_redirects=False, timeout=10)
    assert consent.status_code == 200
    assert "Acme Orders wants to access your Bazaar account" in consent.text
    assert "Published by Olga Owner" in consent.text
    fields = form_fields(consent.text)
    fields["allow"] = "Allow"
    answer = browser.post(consent_url, data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return str(location)


def test_a_third_party_client_end_to_end(provider: Provider) -> None:
    # Discovery.
    metadata = requests.get(f"{provider.url}/.well-known/openid-configuration", timeout=10).json()
    assert metadata["issuer"] == provider.url
    assert metadata["jwks_uri"] == f"{provider.url}/.well-known/jwks.json"
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]

    client = OAuth2Session(
        client_id=provider.app.client_id,
        client_secret=provider.app.secret,
        scope=SCOPES,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    code_verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(12)
    authorization_url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=code_verifier, nonce=nonce
    )
    assert "code_challenge=" in authorization_url

    # Authorization code + PKCE, approved by the user.
    callback = sign_in_and_approve(provider, authorization_url)
    returned = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    assert returned["state"] == state
    assert returned["iss"] == provider.url  # RFC 9207 mix-up defence

    # Token exchange (authlib checks state against the callback itself).
    token = client.fetch_token(
        metadata["token_endpoint"],
        authorization_response=callback,
        code_verifier=code_verifier,
        state=state,
    )
    assert token["token_type"] == "Bearer"
    assert token["scope"] == SCOPES

    # ID token and access token verified against the published JWKS with PyJWT.
    jwks = jwt.PyJWKClient(metadata["jwks_uri"])
    id_key = jwks.get_signing_key_from_jwt(token["id_token"])
    id_claims = jwt.decode(
        token["id_token"],
        id_key.key,
        algorithms=metadata["id_token_signing_alg_values_supported"],
        audience=provider.app.client_id,
        issuer=metadata["issuer"],
    )
    assert id_claims["sub"] == str(provider.user.pk)
    assert id_claims["nonce"] == nonce
    assert id_claims["name"] == "Casey Customer"
    assert "email" not in id_claims  # no email scope
    access_header = jwt.get_unverified_header(token["access_token"])
    assert access_header["typ"] == "at+jwt"
    assert access_header["kid"] == id_key.key_id  # same rotating key, same kid scheme
    access_claims = jwt.decode(
        token["access_token"],
        jwks.get_signing_key_from_jwt(token["access_token"]).key,
        algorithms=["RS256"],
        audience="bazaar-api",
        issuer=metadata["issuer"],
    )
    assert access_claims["client_id"] == provider.app.client_id
    assert access_claims["scope"] == SCOPES
    assert access_claims["roles"] == ["customer"]

    # A scoped API call with the token, and the userinfo endpoint.
    me = client.get(f"{provider.url}/api/v1/auth/me", timeout=10)
    assert me.status_code == 200
    assert me.json()["data"]["full_name"] == "Casey Customer"
    assert "email" not in me.json()["data"]
    assert client.get(metadata["userinfo_endpoint"], timeout=10).json() == {
        "sub": str(provider.user.pk),
        "name": "Casey Customer",
    }
    # Managing the user's account is not something a third party may do.
    forbidden = client.get(f"{provider.url}/api/v1/auth/apps", timeout=10)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "first_party_only"

    # Refresh with rotation.
    first_refresh = token["refresh_token"]
    renewed = client.refresh_token(metadata["token_endpoint"])
    assert renewed["refresh_token"] != first_refresh
    assert renewed["access_token"] != token["access_token"]
    with pytest.raises(RevokedTokenError):  # the rotated-away access token is denied
        authenticate_principal(token["access_token"])

    # Introspection (the client's own token).
    info = client.introspect_token(
        metadata["introspection_endpoint"], token=renewed["access_token"]
    ).json()
    assert info["active"] is True
    assert info["client_id"] == provider.app.client_id
    assert info["sub"] == str(provider.user.pk)
    assert info["scope"] == SCOPES

    # Revocation: the access token is refused at once, here and by the API.
    revoked = client.revoke_token(
        metadata["revocation_endpoint"],
        token=renewed["access_token"],
        token_type_hint="access_token",
    )
    assert revoked.status_code == 200
    assert client.introspect_token(
        metadata["introspection_endpoint"], token=renewed["access_token"]
    ).json() == {"active": False}
    after = requests.get(
        f"{provider.url}/api/v1/auth/me",
        headers={"Authorization": f"Bearer {renewed['access_token']}"},
        timeout=10,
    )
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "invalid_token"

    # Replaying the first (rotated) refresh token is refused with the standard error.
    with pytest.raises(AuthlibOAuth2Error) as replay:
        client.refresh_token(metadata["token_endpoint"], refresh_token=first_refresh)
    assert replay.value.error == "invalid_grant"


def test_a_wrong_verifier_fails_at_the_token_endpoint(provider: Provider) -> None:
    client = OAuth2Session(
        client_id=provider.app.client_id,
        client_secret=provider.app.secret,
        scope="openid",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    url, state = client.create_authorization_url(
        f"{provider.url}/o/authorize/", code_verifier=verifier
    )
    callback = sign_in_and_approve(provider, url)
    with pytest.raises(AuthlibOAuth2Error) as caught:
        client.fetch_token(
            f"{provider.url}/o/token/",
            authorization_response=callback,
            code_verifier=secrets.token_urlsafe(48),
            state=state,
        )
    assert caught.value.error == "invalid_grant"
