"""The published scope catalogue: what a third-party application may ask for.

Each scope names the API permission it stands for (the endpoints guard themselves with
``bazaar_platform.tokens.permissions.RequiresScope("<scope>")``), the role a user must
hold for it to be granted, and whether an application may get it for itself (client
credentials, no user). It is served at ``GET /api/v1/auth/scopes`` and in the OpenID
discovery document, and it is django-oauth-toolkit's scopes backend.

A token never grants more than its user's roles allow:

* a scope whose role the user lacks is withheld at consent (and again whenever a token
  is issued or refreshed, so losing the role shrinks the next token);
* the ``roles`` claim of a third-party token holds only the roles its scopes need, so
  ``admin`` never reaches a third-party application and role guards agree with scopes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from oauth2_provider.scopes import BaseScopes

from bazaar_platform.tokens import ROLE_CUSTOMER, ROLE_VENDOR


@dataclass(frozen=True)
class Scope:
    name: str
    description: str  # shown to the user on the consent page
    grants: str  # what it allows, for developers
    role: str | None = None  # the role the user must hold; None = any signed-in user
    for_applications: bool = False  # may an application get it for itself (no user)?
    claims: tuple[str, ...] = ()  # OpenID Connect claims it releases


CATALOGUE: dict[str, Scope] = {
    s.name: s
    for s in (
        Scope(
            "openid",
            "Sign you in with your Bazaar account",
            "OpenID Connect: an ID token and the userinfo endpoint (sub).",
            claims=("sub",),
        ),
        Scope(
            "profile",
            "See your name",
            "GET /api/v1/auth/me; the name claim.",
            claims=("name",),
        ),
        Scope(
            "email",
            "See your e-mail address",
            "The email and email_verified claims; the address in /api/v1/auth/me.",
            claims=("email", "email_verified"),
        ),
        Scope(
            "orders:read",
            "See your orders",
            "Read the user's customer orders.",
            role=ROLE_CUSTOMER,
        ),
        Scope(
            "orders:write",
            "Place and manage orders for you",
            "Create carts, check out and manage the user's orders.",
            role=ROLE_CUSTOMER,
        ),
        Scope(
            "notifications:read",
            "Read your notifications",
            "Read the user's in-app inbox.",
        ),
        Scope(
            "catalog:read",
            "Read the catalogue",
            "Read catalogue data, including bulk feeds; the one scope an application "
            "may hold for itself (client credentials).",
            for_applications=True,
        ),
        Scope(
            "catalog:write",
            "Manage the products you sell",
            "Create and update the vendor's products, variants and listings.",
            role=ROLE_VENDOR,
        ),
        Scope(
            "vendor:manage",
            "Manage your vendor account, stores and staff",
            "Vendor account, stores, staff and stock.",
            role=ROLE_VENDOR,
        ),
    )
}

#: Granted when an authorization request names no scope.
DEFAULT_USER_SCOPES = ("openid",)


def scope_list(value: str | Iterable[str] | None) -> list[str]:
    """Scopes as a de-duplicated list in catalogue order (unknown names kept last, sorted)."""
    if value is None:
        return []
    names = set(value.split()) if isinstance(value, str) else set(value)
    known = [name for name in CATALOGUE if name in names]
    return known + sorted(names - set(CATALOGUE))


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    return sorted(set(scopes) - set(CATALOGUE))


def scopes_grantable(scopes: Iterable[str], *, roles: Iterable[str]) -> list[str]:
    """The scopes a user with ``roles`` can grant (unknown scopes are dropped)."""
    held = set(roles)
    return [
        name
        for name in scope_list(scopes)
        if name in CATALOGUE and (CATALOGUE[name].role is None or CATALOGUE[name].role in held)
    ]


def scopes_for_applications(scopes: Iterable[str]) -> list[str]:
    return [
        name
        for name in scope_list(scopes)
        if CATALOGUE.get(name) is not None and CATALOGUE[name].for_applications
    ]


def roles_for_token(*, user_roles: Iterable[str], scopes: Iterable[str]) -> list[str]:
    """The ``roles`` claim of a third-party token: the user's roles its scopes need."""
    needed = {CATALOGUE[name].role for name in scopes if name in CATALOGUE}
    return sorted(set(user_roles) & {role for role in needed if role})


def catalogue_document() -> list[dict[str, Any]]:
    """The catalogue as published (API, discovery)."""
    return [
        {
            "name": s.name,
            "description": s.description,
            "grants": s.grants,
            "requires_role": s.role,
            "for_applications": s.for_applications,
            "claims": list(s.claims),
        }
        for s in CATALOGUE.values()
    ]


class CatalogueScopes(BaseScopes):
    """django-oauth-toolkit's scopes backend (``SCOPES_BACKEND_CLASS``)."""

    def get_all_scopes(self) -> dict[str, str]:
        return {name: scope.description for name, scope in CATALOGUE.items()}

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        if application is not None and application.authorization_grant_type == (
            application.GRANT_CLIENT_CREDENTIALS
        ):
            return scopes_for_applications(CATALOGUE)
        return list(CATALOGUE)

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        if application is not None and application.authorization_grant_type == (
            application.GRANT_CLIENT_CREDENTIALS
        ):
            return []
        return list(DEFAULT_USER_SCOPES)
