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

    @property
    def client_id(self) -> str:
        """The application the token was issued to (the first-party id for our own logins)."""
        return str(self.claims.get("client_id", ""))

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
        return cls(
            user_id=user_id,
            roles=frozenset(roles),
            scopes=_scopes(claims),
            claims=dict(claims),
        )


def _scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise InvalidTokenError("scope must be a space-separated string")
    return frozenset(scope.split())


def is_client_token(claims: Mapping[str, Any]) -> bool:
    """A client-credentials token: no user, ``sub`` is the client id (RFC 9068 §2.2)."""
    client_id = claims.get("client_id")
    return isinstance(client_id, str) and bool(client_id) and claims.get("sub") == client_id


@dataclass(frozen=True)
class ClientPrincipal:
    """An application acting for itself (client-credentials grant): no user, no roles.

    ``is_authenticated`` is False on purpose: DRF's ``IsAuthenticated`` and every role
    guard refuse it, so an endpoint serves applications only when it says so with
    :class:`bazaar_platform.tokens.permissions.RequiresScope`.
    """

    client_id: str
    scopes: frozenset[str]
    claims: Mapping[str, Any] = field(repr=False, compare=False)

    is_authenticated = False
    is_anonymous = False
    is_active = True
    is_staff = False
    user_id = None
    pk = None
    id = None
    roles: frozenset[str] = frozenset()

    @property
    def token_id(self) -> str:
        return str(self.claims.get("jti", ""))

    def has_role(self, role: str) -> bool:
        return False

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def __str__(self) -> str:
        return f"client:{self.client_id}"

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> ClientPrincipal:
        if claims.get("roles"):
            raise InvalidTokenError("a client token carries no roles")
        return cls(client_id=str(claims["client_id"]), scopes=_scopes(claims), claims=dict(claims))
