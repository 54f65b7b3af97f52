"""Bad access tokens at the HTTP boundary: always a 401 in the error format, never a 500."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
import structlog
from django.conf import settings as django_settings

from bazaar_platform.tokens import create_token
from contexts.auth.services.keys import current_signing_key
from contexts.auth.tests import support
from contexts.auth.tests.factories import make_user

pytestmark = [pytest.mark.django_db]


def me(api: Any, authorization: str) -> Any:
    return api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=authorization)


def forged(**overrides: Any) -> str:
    key = current_signing_key()
    return create_token(support.claims(**overrides), private_key=key.private_key, kid=key.kid)


def test_rest_framework_defaults_to_local_bearer_then_session() -> None:
    assert django_settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "bazaar_platform.tokens.drf.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ]


def test_a_valid_token_for_an_existing_user_works(api: Any) -> None:
    user = make_user()
    response = me(api, f"Bearer {forged(sub=str(user.pk))}")
    assert response.status_code == 200


def bad_tokens() -> list[tuple[str, str, str]]:
    now = int(time.time())
    other = support.rsa_key("b")
    return [
        ("expired", "token_expired", lambda: forged(iat=now - 900, exp=now - 600)),  # type: ignore[list-item]
        ("wrong-audience", "invalid_token", lambda: forged(aud="some-other-api")),  # type: ignore[list-item]
        ("wrong-issuer", "invalid_token", lambda: forged(iss="https://evil.example")),  # type: ignore[list-item]
        (
            "wrong-key",
            "invalid_token",
            lambda: create_token(  # type: ignore[list-item]
                support.claims(), private_key=other, kid=current_signing_key().kid
            ),
        ),
        (
            "unknown-kid",
            "invalid_token",
            lambda: create_token(  # type: ignore[list-item]
                support.claims(), private_key=other, kid=support.kid_of(other)
            ),
        ),
        (
            "alg-none",
            "invalid_token",
            lambda: jwt.encode(  # type: ignore[list-item]
                support.claims(),
                None,  # type: ignore[arg-type]
                algorithm="none",
                headers={"kid": current_signing_key().kid, "typ": "at+jwt"},
            ),
        ),
        (
            "hs256-confusion",
            "invalid_token",
            lambda: jwt.encode(  # type: ignore[list-item]
                support.claims(),
                "x" * 64,
                algorithm="HS256",
                headers={"kid": current_signing_key().kid, "typ": "at+jwt"},
            ),
        ),
        ("tampered", "invalid_token", lambda: forged()[:-6] + "AAAAAA"),  # type: ignore[list-item]
        ("garbage", "invalid_token", lambda: "not.a.jwt"),  # type: ignore[list-item]
        ("bad-sub", "invalid_token", lambda: forged(sub="admin")),  # type: ignore[list-item]
    ]


@pytest.mark.parametrize(("name", "code", "make"), bad_tokens(), ids=[b[0] for b in bad_tokens()])
def test_bad_tokens_are_401_with_a_code(api: Any, name: str, code: str, make: Any) -> None:
    response = me(api, f"Bearer {make()}")
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["data"] is None
    assert body["error"]["code"] == code
    assert body["error"]["request_id"]
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer   ", "bearer \u00e9\u00e9", "Bearer " + "a" * 9000]
)
def test_malformed_authorization_headers_are_401(api: Any, header: str) -> None:
    response = me(api, header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {
        "invalid_token",
        "authentication_failed",
        "not_authenticated",
    }


def test_no_credentials_is_401_not_authenticated(api: Any) -> None:
    response = api.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_authentication_binds_the_user_id_into_logs() -> None:
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from bazaar_platform.tokens.drf import BearerTokenAuthentication

    user = make_user()
    structlog.contextvars.clear_contextvars()
    request = Request(
        APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {forged(sub=str(user.pk))}")
    )
    result = BearerTokenAuthentication().authenticate(request)
    assert result is not None
    principal, claims = result
    assert (
        structlog.contextvars.get_contextvars()["user_id"] == str(user.pk) == str(principal.user_id)
    )
    assert claims["sub"] == str(user.pk)
    structlog.contextvars.clear_contextvars()
