"""The shared token package: create, extract, validate, validate-and-extract.

Every context verifies access tokens locally with this package; none calls the
auth context per request. Entry points:

* :func:`validate_token` / :func:`authenticate_token` (a plain function),
* :class:`bazaar_platform.tokens.drf.BearerTokenAuthentication` (DRF),
* :class:`bazaar_platform.tokens.websocket.TokenAuthMiddleware` (Channels),
* guards in :mod:`bazaar_platform.tokens.permissions`,
* :func:`create_token` for the issuer.

Configured by ``settings.BAZAAR_TOKENS`` (see :mod:`bazaar_platform.tokens.conf`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bazaar_platform.tokens.create import ACCESS_TOKEN_TYPE, create_token
from bazaar_platform.tokens.errors import (
    ExpiredTokenError,
    InvalidTokenError,
    KeysUnavailableError,
    MalformedTokenError,
    TokenError,
    UnknownSigningKeyError,
)
from bazaar_platform.tokens.extract import extract_from_scope, extract_token
from bazaar_platform.tokens.jwks import invalidate_jwks
from bazaar_platform.tokens.principal import (
    ROLE_ADMIN,
    ROLE_CUSTOMER,
    ROLE_VENDOR,
    TokenPrincipal,
)
from bazaar_platform.tokens.validate import authenticate_token, validate_token


def validate_and_extract(headers: Mapping[str, Any]) -> TokenPrincipal | None:
    """The principal of a request's bearer token; ``None`` when it carries none.

    Raises :class:`TokenError` when a token is present but unusable.
    """
    token = extract_token(headers)
    return authenticate_token(token) if token is not None else None


__all__ = [
    "ACCESS_TOKEN_TYPE",
    "ROLE_ADMIN",
    "ROLE_CUSTOMER",
    "ROLE_VENDOR",
    "ExpiredTokenError",
    "InvalidTokenError",
    "KeysUnavailableError",
    "MalformedTokenError",
    "TokenError",
    "TokenPrincipal",
    "UnknownSigningKeyError",
    "authenticate_token",
    "create_token",
    "extract_from_scope",
    "extract_token",
    "invalidate_jwks",
    "validate_and_extract",
    "validate_token",
]
