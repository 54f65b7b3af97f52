"""Sign a token. Only the issuer (the auth context) holds private keys and calls this."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt

# RFC 9068: resource servers refuse other types as access tokens.
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret


def create_token(
    claims: Mapping[str, Any],
    *,
    private_key: Any,
    kid: str,
    algorithm: str = "RS256",
    token_type: str = ACCESS_TOKEN_TYPE,
) -> str:
    """A compact JWS of ``claims`` with ``kid`` and ``typ`` in its header."""
    return jwt.encode(
        dict(claims), private_key, algorithm=algorithm, headers={"kid": kid, "typ": token_type}
    )
