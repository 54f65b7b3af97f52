"""Check an access token locally: signature, ``kid``, algorithm, type, expiry, issuer, audience.

Nothing here calls the auth context: the only outside input is the cached key set.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jwt

from bazaar_platform.tokens.conf import token_settings
from bazaar_platform.tokens.errors import ExpiredTokenError, InvalidTokenError, MalformedTokenError
from bazaar_platform.tokens.jwks import get_verification_key
from bazaar_platform.tokens.principal import TokenPrincipal

REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti"]
_jwt = jwt.PyJWT()


def _header(token: str, max_length: int) -> dict[str, Any]:
    if not isinstance(token, str) or not token or len(token) > max_length:
        raise MalformedTokenError("empty, not a string, or too long")
    if token.count(".") != 2 or not token.isascii():
        raise MalformedTokenError("not a compact JWS")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise MalformedTokenError(f"unreadable header: {exc}") from exc
    if not isinstance(header, dict):
        raise MalformedTokenError("header is not an object")
    return header


def validate_token(token: str, *, audience: str | Iterable[str] | None = None) -> dict[str, Any]:
    """Return the verified claims of ``token`` or raise a :class:`TokenError`.

    The algorithm is never taken from the token: the header's ``alg`` must be one
    of ``BAZAAR_TOKENS["ALGORITHMS"]`` *and* the algorithm the published key for
    ``kid`` is bound to. So ``alg=none`` and HS256-signed-with-the-public-key
    forgeries fail before any signature check.
    """
    conf = token_settings()
    header = _header(token, conf.max_token_length)
    alg = header.get("alg")
    if alg not in conf.algorithms:
        raise InvalidTokenError(f"algorithm {str(alg)[:20]!r} is not accepted")
    typ = str(header.get("typ", "")).lower().removeprefix("application/")
    if typ not in conf.token_types:
        raise InvalidTokenError(f"token type {typ[:20]!r} is not an access token")
    if "crit" in header:
        raise InvalidTokenError("critical header extensions are not supported")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 128:
        raise InvalidTokenError("missing or bad kid")
    key = get_verification_key(kid)
    if key.algorithm != alg:
        raise InvalidTokenError("kid is bound to another algorithm")
    try:
        claims: dict[str, Any] = _jwt.decode(
            token,
            key.key,
            algorithms=[key.algorithm],
            audience=audience if audience is not None else conf.audience,
            issuer=conf.issuer,
            leeway=conf.leeway_seconds,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ExpiredTokenError(str(exc)) from exc
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(f"{type(exc).__name__}: {exc}") from exc
    return claims


def authenticate_token(
    token: str, *, audience: str | Iterable[str] | None = None
) -> TokenPrincipal:
    """Validate ``token`` and return its principal (user id, roles, scopes, claims)."""
    return TokenPrincipal.from_claims(validate_token(token, audience=audience))
