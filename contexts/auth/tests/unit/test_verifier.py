"""The platform's local verifier against every kind of bad token (no database)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bazaar_platform.tokens import (
    ExpiredTokenError,
    InvalidTokenError,
    MalformedTokenError,
    TokenError,
    TokenPrincipal,
    UnknownSigningKeyError,
    authenticate_token,
    create_token,
    validate_and_extract,
    validate_token,
)
from bazaar_platform.tokens.errors import KeysUnavailableError
from contexts.auth.services.keys import public_jwk
from contexts.auth.tests import support

pytestmark = pytest.mark.unit

KEY = support.rsa_key("a")
OTHER = support.rsa_key("b")
KID = support.kid_of(KEY)


@pytest.fixture(autouse=True)
def _jwks_from_support(settings: Any) -> None:
    settings.BAZAAR_TOKENS = {
        **settings.BAZAAR_TOKENS,
        "JWKS_SOURCE": "contexts.auth.tests.support.jwks_source",
        "JWKS_URL": "",
        "JWKS_REFRESH_MIN_INTERVAL": 0,
    }
    support.JWKS["keys"] = [public_jwk(KEY)]
    support.JWKS_CALLS["count"] = 0


def good(**overrides: Any) -> str:
    return create_token(support.claims(**overrides), private_key=KEY, kid=KID)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_valid_token_gives_principal_with_id_roles_scopes_claims() -> None:
    user_id = uuid.uuid4()
    principal = authenticate_token(good(sub=str(user_id), roles=["customer", "vendor"]))
    assert isinstance(principal, TokenPrincipal)
    assert principal.user_id == user_id
    assert principal.pk == user_id
    assert principal.roles == frozenset({"customer", "vendor"})
    assert principal.scopes == frozenset({"read", "write"})
    assert principal.claims["sub"] == str(user_id)
    assert principal.is_authenticated
    assert not principal.is_staff


def test_validate_and_extract_reads_the_authorization_header() -> None:
    token = good()
    assert validate_and_extract({"Authorization": f"Bearer {token}"}) is not None
    assert validate_and_extract({}) is None
    assert validate_and_extract({"Authorization": "Token abc"}) is None
    with pytest.raises(MalformedTokenError):
        validate_and_extract({"Authorization": "Bearer"})
    with pytest.raises(MalformedTokenError):
        validate_and_extract({"Authorization": "Bearer a b"})


def test_expired_token_is_refused_with_its_own_code() -> None:
    now = int(time.time())
    with pytest.raises(ExpiredTokenError) as info:
        validate_token(good(iat=now - 600, exp=now - 120))
    assert info.value.code == "token_expired"


def test_expiry_allows_the_configured_small_leeway() -> None:
    now = int(time.time())
    assert validate_token(good(iat=now - 400, exp=now - 5))["sub"]  # within 30 s leeway


def test_token_from_the_future_is_refused() -> None:
    now = int(time.time())
    with pytest.raises(InvalidTokenError):
        validate_token(good(iat=now + 3600, exp=now + 4000))


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "another-api"},
        {"aud": ["another-api", "third"]},
        {"iss": "https://evil.example"},
        {"aud": None},
        {"iss": None},
        {"sub": None},
        {"jti": None},
        {"exp": None},
        {"iat": None},
    ],
    ids=[
        "wrong-aud",
        "wrong-aud-list",
        "wrong-iss",
        "no-aud",
        "no-iss",
        "no-sub",
        "no-jti",
        "no-exp",
        "no-iat",
    ],
)
def test_wrong_or_missing_registered_claims_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidTokenError):
        validate_token(good(**overrides))


@pytest.mark.parametrize(
    "overrides", [{"sub": "not-a-uuid"}, {"roles": "admin"}, {"roles": [1, 2]}, {"scope": ["read"]}]
)
def test_claims_of_the_wrong_shape_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidTokenError):
        authenticate_token(good(**overrides))


def test_tampered_payload_fails_the_signature() -> None:
    header, payload, signature = good(roles=["customer"]).split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["roles"] = ["admin"]
    forged = ".".join([header, b64(json.dumps(data).encode()), signature])
    with pytest.raises(InvalidTokenError):
        validate_token(forged)


def test_tampered_signature_is_refused() -> None:
    header, payload, signature = good().split(".")
    flipped = signature[:-4] + ("AAAA" if not signature.endswith("AAAA") else "BBBB")
    with pytest.raises(InvalidTokenError):
        validate_token(f"{header}.{payload}.{flipped}")


def test_token_signed_by_another_key_under_our_kid_is_refused() -> None:
    forged = create_token(support.claims(), private_key=OTHER, kid=KID)
    with pytest.raises(InvalidTokenError):
        validate_token(forged)


def test_unknown_kid_is_refused_after_one_reload() -> None:
    stranger = create_token(support.claims(), private_key=OTHER, kid=support.kid_of(OTHER))
    with pytest.raises(UnknownSigningKeyError):
        validate_token(stranger)
    assert support.JWKS_CALLS["count"] == 2  # initial load + one forced reload


def test_unknown_kid_reloads_are_rate_limited(settings: Any) -> None:
    settings.BAZAAR_TOKENS = {**settings.BAZAAR_TOKENS, "JWKS_REFRESH_MIN_INTERVAL": 60}
    validate_token(good())
    calls = support.JWKS_CALLS["count"]
    for i in range(20):
        with pytest.raises(UnknownSigningKeyError):
            validate_token(create_token(support.claims(), private_key=OTHER, kid=f"invented-{i}"))
    assert support.JWKS_CALLS["count"] <= calls + 1


def test_alg_none_is_refused() -> None:
    unsigned = jwt.encode(
        support.claims(),
        None,  # type: ignore[arg-type]
        algorithm="none",
        headers={"kid": KID, "typ": "at+jwt"},
    )
    with pytest.raises(InvalidTokenError):
        validate_token(unsigned)
    handmade = ".".join(
        [
            b64(json.dumps({"alg": "none", "kid": KID, "typ": "at+jwt"}).encode()),
            b64(json.dumps(support.claims()).encode()),
            "",
        ]
    )
    with pytest.raises(InvalidTokenError):
        validate_token(handmade)


def test_algorithm_confusion_hs256_with_the_public_key_is_refused() -> None:
    # The classic attack: HMAC-sign with the (public) RSA key as the shared secret.
    header = b64(json.dumps({"alg": "HS256", "kid": KID, "typ": "at+jwt"}).encode())
    payload = b64(json.dumps(support.claims(roles=["admin"])).encode())
    import hashlib
    import hmac

    mac = hmac.new(support.public_pem(KEY), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidTokenError):
        validate_token(f"{header}.{payload}.{b64(mac)}")


def test_a_kid_published_for_another_algorithm_is_refused(settings: Any) -> None:
    settings.BAZAAR_TOKENS = {**settings.BAZAAR_TOKENS, "ALGORITHMS": ["RS256", "PS256"]}
    token = jwt.encode(
        support.claims(), KEY, algorithm="PS256", headers={"kid": KID, "typ": "at+jwt"}
    )
    with pytest.raises(InvalidTokenError):
        validate_token(token)  # the published key says RS256


def test_symmetric_keys_in_the_jwks_are_ignored() -> None:
    support.JWKS["keys"] = [{"kty": "oct", "kid": "hmac", "alg": "RS256", "k": b64(b"secret" * 6)}]
    token = jwt.encode(
        support.claims(), "secret" * 6, algorithm="HS256", headers={"kid": "hmac", "typ": "at+jwt"}
    )
    with pytest.raises(InvalidTokenError):
        validate_token(token)


@pytest.mark.parametrize("typ", ["JWT", "id_token", None])
def test_tokens_that_are_not_access_tokens_are_refused(typ: str | None) -> None:
    headers: dict[str, Any] = {"kid": KID}
    if typ is not None:
        headers["typ"] = typ
    token = jwt.encode(support.claims(), KEY, algorithm="RS256", headers=headers)
    if typ is None:  # PyJWT adds typ=JWT by default; leave it out entirely
        token = jwt.encode(
            support.claims(), KEY, algorithm="RS256", headers={"kid": KID, "typ": None}
        )
        assert "typ" not in jwt.get_unverified_header(token)
    with pytest.raises(InvalidTokenError):
        validate_token(token)


def test_crit_header_and_missing_kid_are_refused() -> None:
    with pytest.raises(InvalidTokenError):
        validate_token(
            jwt.encode(
                support.claims(),
                KEY,
                algorithm="RS256",
                headers={"kid": KID, "typ": "at+jwt", "crit": ["exp"]},
            )
        )
    with pytest.raises(InvalidTokenError):
        validate_token(
            jwt.encode(support.claims(), KEY, algorithm="RS256", headers={"typ": "at+jwt"})
        )
    numeric_kid = b64(json.dumps({"alg": "RS256", "kid": 7, "typ": "at+jwt"}).encode())
    with pytest.raises(InvalidTokenError):
        validate_token(f"{numeric_kid}.{b64(json.dumps(support.claims()).encode())}.c2ln")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "....",
        "x.y.z",
        "éé.éé.éé",
        "a" * 9000,
        b64(b"[1,2]") + ".e30.",
        b64(b'"str"') + ".e30.",
        b64(b"{") + ".e30.sig",
    ],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(TokenError):
        validate_token(token)


def test_keys_unavailable_when_the_source_fails_and_nothing_is_cached(settings: Any) -> None:
    settings.BAZAAR_TOKENS = {
        **settings.BAZAAR_TOKENS,
        "JWKS_SOURCE": "contexts.auth.tests.support.no_such",
    }
    with pytest.raises(KeysUnavailableError):
        validate_token(good())


@hsettings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300).map(lambda b: b64(b) + "." + b64(b) + "." + b64(b)),
    )
)
def test_fuzz_never_raises_anything_but_token_errors(token: str) -> None:
    try:
        validate_token(token)
    except TokenError:
        pass
    else:  # pragma: no cover - would be a forged acceptance
        pytest.fail(f"accepted garbage: {token!r}")


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": "9999999999"},
        {"iat": True},
        {"nbf": int(time.time()) + 3600},
        {"jti": 5},
        {"aud": [7]},
    ],
    ids=["exp-string", "iat-bool", "nbf-future", "jti-int", "aud-int-list"],
)
def test_registered_claims_must_have_their_types(overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidTokenError):
        validate_token(good(**overrides))


def test_audience_lists_and_explicit_audiences() -> None:
    assert validate_token(good(aud=["other", "bazaar-api"]))["sub"]
    assert validate_token(good(aud="reviews-api"), audience=["reviews-api"])["sub"]
    with pytest.raises(InvalidTokenError):
        validate_token(good(aud="bazaar-api"), audience="reviews-api")


@pytest.mark.parametrize("mangle", ["pad", "plus", "space"])
def test_non_canonical_encodings_are_malformed(mangle: str) -> None:
    header, payload, signature = good().split(".")
    variants = {
        "pad": f"{header}=.{payload}.{signature}",
        "plus": f"{header}.{payload}.{signature[:-1]}+",
        "space": f"{header}.{payload} .{signature}",
    }
    with pytest.raises(MalformedTokenError):
        validate_token(variants[mangle])
