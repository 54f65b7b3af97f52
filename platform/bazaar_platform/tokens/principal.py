"""Who is asking, as the access token says: the principal every context sees.

It is built from verified claims only, without a database read. It quacks enough
like a Django user (``is_authenticated``, ``pk``) for DRF, throttles and logging.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from bazaar_platform.tokens.errors import InvalidTokenError

ROLE_ADMIN = "admin"
ROLE_VENDOR = "vendor"
ROLE_CUSTOMER = "customer"


@dataclass(frozen=True)
class TokenPrincipal:
    user_id: UUID
    roles: frozenset[str]
    scopes: frozenset[str]
    claims: Mapping[str, Any] = field(repr=False, compare=False)

    is_authenticated = True
    is_anonymous = False
    is_active = True  # an access token is only minted for an active account

    @property
    def pk(self) -> UUID:
        return self.user_id

    @property
    def id(self) -> UUID:
        return self.user_id

    @property
    def is_staff(self) -> bool:
        """For DRF's ``IsAdminUser``: the admin role is what staff means here."""
        return ROLE_ADMIN in self.roles

    @property
    def token_id(self) -> str:
        return str(self.claims.get("jti", ""))

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def __str__(self) -> str:
        return f"principal:{self.user_id}"

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> TokenPrincipal:
        """Claims already verified by :func:`validate_token` to a principal."""
        try:
            user_id = UUID(str(claims["sub"]))
        except (KeyError, ValueError) as exc:
            raise InvalidTokenError("sub is not a user id") from exc
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise InvalidTokenError("roles must be a list of strings")
        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise InvalidTokenError("scope must be a space-separated string")
        return cls(
            user_id=user_id,
            roles=frozenset(roles),
            scopes=frozenset(scope.split()),
            claims=dict(claims),
        )
