"""Access tokens and ID tokens for third-party applications, from the key store.

Access tokens are the same RS256 ``at+jwt`` (RFC 9068) as first-party tokens: same
issuer (``SITE_URL``), same audience, same rotating keys and ``kid`` scheme, so every
context verifies them offline with ``bazaar_platform.tokens``. ID tokens are signed
with the same current key (``typ: JWT``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

import jwt
from django.conf import settings
from oauthlib.common import Request as OAuthRequest

from bazaar_platform.tokens import create_token
from contexts.auth.selectors import user_role_names
from contexts.auth.services.keys import current_signing_key, jwks_document
from contexts.auth.services.oauth.scopes import roles_for_token, scope_list

ID_TOKEN_TYPE = "JWT"  # noqa: S105 - a media type, not a secret


def issuer() -> str:
    """The one issuer of first-party and third-party tokens (and of OpenID discovery)."""
    return str(settings.SITE_URL).rstrip("/")


def access_token_generate(request: OAuthRequest) -> str:
    """django-oauth-toolkit's ``ACCESS_TOKEN_GENERATOR``: an RFC 9068 JWT for ``request``.

    With a user (authorization code, refresh): ``sub`` is the user's id and ``roles``
    holds only the user's roles the granted scopes need. Without one (client
    credentials): ``sub`` is the client id (RFC 9068 §2.2) and there are no roles.
    """
    key = current_signing_key()
    now = int(time.time())
    client = request.client
    scopes = scope_list(request.scopes or [])
    if request.user is None:
        subject, roles = client.client_id, []
    else:
        subject = str(request.user.pk)
        roles = roles_for_token(user_roles=user_role_names(user_id=request.user.pk), scopes=scopes)
    claims: dict[str, Any] = {
        "iss": issuer(),
        "sub": subject,
        "aud": settings.AUTH_TOKEN_AUDIENCE,
        "client_id": client.client_id,
        "iat": now,
        "exp": now + int(request.expires_in),
        "jti": uuid.uuid4().hex,
        "scope": " ".join(scopes),
        "roles": roles,
    }
    return create_token(claims, private_key=key.private_key, kid=key.kid, algorithm=key.algorithm)


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT we just minted (no verification: for bookkeeping only)."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def id_token_sign(claims: Mapping[str, Any]) -> str:
    """An OpenID Connect ID token signed with the current key (RS256, ``kid`` = thumbprint)."""
    key = current_signing_key()
    return create_token(
        claims,
        private_key=key.private_key,
        kid=key.kid,
        algorithm=key.algorithm,
        token_type=ID_TOKEN_TYPE,
    )


def public_jwk_for(token: str) -> dict[str, Any] | None:
    """The published JWK that verifies ``token`` (by its ``kid``), or ``None``."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None
    for entry in jwks_document()["keys"]:
        if entry.get("kid") == kid:
            return dict(entry)
    return None
