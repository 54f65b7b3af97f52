"""Check an access token locally: signature, ``kid``, algorithm, type, expiry, issuer, audience.

Nothing here calls the auth context: the only outside input is the cached key set.

The compact JWS is parsed here rather than by ``jwt.decode``: PyJWT parses the
header twice and its generic option handling costs more than the signature check
itself (~60 µs against ~21 µs for RS256 on this machine). The signature is still
checked by PyJWT's algorithm implementations (``cryptography`` underneath); only
the parsing and the registered-claim checks (RFC 7519 §4.1) are ours, and strict:
canonical base64url only, JSON objects only, numeric dates only.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Iterable
from typing import Any

from jwt.algorithms import Algorithm, get_default_algorithms

from bazaar_platform.tokens.conf import token_settings
from bazaar_platform.tokens.errors import (
    ExpiredTokenError,
    InvalidTokenError,
    MalformedTokenError,
)
from bazaar_platform.tokens.jwks import get_verification_key
from bazaar_platform.tokens.principal import TokenPrincipal

REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "jti")
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# Asymmetric algorithms only, whatever the settings say: "none" and HMAC never verify here.
_ALGORITHMS: dict[str, Algorithm] = {
    name: impl
    for name, impl in get_default_algorithms().items()
    if name != "none" and not name.startswith("HS")
}


def _b64(segment: str) -> bytes:
    if len(segment) % 4 == 1:
        raise MalformedTokenError("impossible base64url length")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedTokenError("bad base64url") from exc


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise MalformedTokenError(f"{what} is not JSON") from exc
    if not isinstance(value, dict):
        raise MalformedTokenError(f"{what} is not a JSON object")
    return value


def _number(claims: dict[str, Any], name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidTokenError(f"{name} is not a NumericDate")
    return float(value)


def _check_claims(
    claims: dict[str, Any], *, issuer: str, audiences: set[str], leeway: float
) -> None:
    for name in REQUIRED_CLAIMS:
        if claims.get(name) is None:
            raise InvalidTokenError(f"missing claim {name}")
    now = time.time()
    if _number(claims, "exp") <= now - leeway:
        raise ExpiredTokenError("exp is past")
    if _number(claims, "iat") > now + leeway:
        raise InvalidTokenError("iat is in the future")
    if "nbf" in claims and _number(claims, "nbf") > now + leeway:
        raise InvalidTokenError("not valid yet (nbf)")
    if claims["iss"] != issuer:
        raise InvalidTokenError("wrong issuer")
    aud = claims["aud"]
    token_audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(token_audiences, list) or not all(
        isinstance(a, str) for a in token_audiences
    ):
        raise InvalidTokenError("aud is neither a string nor a list of strings")
    if audiences.isdisjoint(token_audiences):
        raise InvalidTokenError("wrong audience")
    if not isinstance(claims["sub"], str) or not isinstance(claims["jti"], str):
        raise InvalidTokenError("sub and jti must be strings")


def validate_token(token: str, *, audience: str | Iterable[str] | None = None) -> dict[str, Any]:
    """Return the verified claims of ``token`` or raise a :class:`TokenError`.

    The algorithm is never taken from the token: the header's ``alg`` must be one
    of ``BAZAAR_TOKENS["ALGORITHMS"]`` *and* the algorithm the published key for
    ``kid`` is bound to. So ``alg=none`` and HS256-signed-with-the-public-key
    forgeries fail before any signature check.
    """
    conf = token_settings()
    if not isinstance(token, str) or len(token) > conf.max_token_length:
        raise MalformedTokenError("not a string, or too long")
    if _COMPACT_JWS.fullmatch(token) is None:
        raise MalformedTokenError("not a compact JWS")
    header_segment, payload_segment, signature_segment = token.split(".")
    header = _json_object(_b64(header_segment), "header")

    alg = header.get("alg")
    if alg not in conf.algorithms or alg not in _ALGORITHMS:
        raise InvalidTokenError(f"algorithm {str(alg)[:20]!r} is not accepted")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower().removeprefix("application/") not in conf.token_types:
        raise InvalidTokenError("not an access token (typ)")
    if "crit" in header:
        raise InvalidTokenError("critical header extensions are not supported")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 128:
        raise InvalidTokenError("missing or bad kid")

    key = get_verification_key(kid)
    if key.algorithm != alg:
        raise InvalidTokenError("kid is bound to another algorithm")
    signing_input = f"{header_segment}.{payload_segment}".encode("ascii")
    if not _ALGORITHMS[alg].verify(signing_input, key.key, _b64(signature_segment)):
        raise InvalidTokenError("bad signature")

    claims = _json_object(_b64(payload_segment), "payload")
    if audience is None:
        audiences = {conf.audience}
    elif isinstance(audience, str):
        audiences = {audience}
    else:
        audiences = set(audience)
    _check_claims(claims, issuer=conf.issuer, audiences=audiences, leeway=conf.leeway_seconds)
    return claims


def authenticate_token(
    token: str, *, audience: str | Iterable[str] | None = None
) -> TokenPrincipal:
    """Validate ``token`` and return its principal (user id, roles, scopes, claims)."""
    return TokenPrincipal.from_claims(validate_token(token, audience=audience))
