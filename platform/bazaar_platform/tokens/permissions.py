"""Role, status and scope guards for DRF views.

Roles come from the token (no lookup). "Active" guards also consult the cached
account status (:mod:`bazaar_platform.tokens.status`), so a deactivation takes
effect at once, before the access token expires.

Scopes limit what a *third-party* application may do with a user's token:
``permission_classes = [IsActiveCustomer, RequiresScope("orders:read")]``. Tokens of
first-party clients (``BAZAAR_TOKENS["FIRST_PARTY_CLIENT_IDS"]``: our own log-in) and
session users are the user acting in person and pass scope checks; their roles still
apply. A third-party token only ever carries the roles its scopes need, so role guards
and scope guards agree.

For a session-authenticated Django user, roles are read from its ``roles``
attribute (the auth context's user model provides it).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from uuid import UUID

from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.tokens.conf import token_settings
from bazaar_platform.tokens.principal import (
    ROLE_ADMIN,
    ROLE_CUSTOMER,
    ROLE_VENDOR,
    ClientPrincipal,
    TokenPrincipal,
)
from bazaar_platform.tokens.status import AccountStatus, StatusUnavailableError, account_status


class AccountStatusUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "account_status_unavailable"
    default_detail = "Your account status cannot be checked right now; try again shortly."


def principal_roles(user: Any) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    roles = getattr(user, "roles", None)
    return frozenset(roles) if roles is not None else frozenset()


def principal_user_id(user: Any) -> UUID | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    value = getattr(user, "user_id", None) or getattr(user, "pk", None)
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        return None


class HasRole(BasePermission):
    role: str = ""
    message = "This needs a role you do not hold."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return self.role in principal_roles(request.user)


class IsAdmin(HasRole):
    role = ROLE_ADMIN
    message = "Administrators only."


class IsVendor(HasRole):
    role = ROLE_VENDOR
    message = "Vendors only."


class IsCustomer(HasRole):
    role = ROLE_CUSTOMER
    message = "Customers only."


class _ActiveStatus(HasRole):
    def is_active(self, status_: AccountStatus) -> bool:
        raise NotImplementedError

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not super().has_permission(request, view):
            return False
        user_id = principal_user_id(request.user)
        if user_id is None:
            return False
        try:
            return self.is_active(account_status(user_id))
        except StatusUnavailableError:
            raise AccountStatusUnavailable() from None


class IsActiveCustomer(_ActiveStatus):
    role = ROLE_CUSTOMER
    message = "An active customer account is required."

    def is_active(self, status_: AccountStatus) -> bool:
        return status_.customer_active


class IsActiveVendor(_ActiveStatus):
    role = ROLE_VENDOR
    message = "An active vendor account is required."

    def is_active(self, status_: AccountStatus) -> bool:
        return status_.vendor_active


class InsufficientScopeError(ApplicationError):
    """403 in the API's error format, naming the scopes the token lacks (RFC 6750 §3.1)."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "insufficient_scope"

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"This token lacks the scope {' '.join(missing)}; ask the user to authorise it.",
            fields={"scope": [f"{scope} is required" for scope in missing]},
            extra={"required_scopes": missing},
        )


class FirstPartyOnlyError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "first_party_only"

    def __init__(self) -> None:
        super().__init__("Third-party applications cannot use this endpoint.")


def is_first_party(user: Any) -> bool:
    """The user in person: a session, or a token of one of our own clients."""
    if isinstance(user, ClientPrincipal):
        return False
    if isinstance(user, TokenPrincipal):
        return user.client_id in token_settings().first_party_client_ids
    return bool(getattr(user, "is_authenticated", False))


def granted_scopes(user: Any) -> frozenset[str] | None:
    """The scopes a third-party token carries; ``None`` when the caller is first-party."""
    if isinstance(user, ClientPrincipal | TokenPrincipal) and not is_first_party(user):
        return user.scopes
    return None


class ScopePermission(BasePermission):
    """Base of the classes :func:`RequiresScope` makes; ``required`` names the scopes."""

    required: tuple[str, ...] = ()

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not isinstance(user, ClientPrincipal) and not getattr(user, "is_authenticated", False):
            return False
        held = granted_scopes(user)
        if held is None:
            return True
        missing = [scope for scope in self.required if scope not in held]
        if missing:
            raise InsufficientScopeError(missing)
        return True


@cache
def RequiresScope(*scopes: str) -> type[ScopePermission]:  # noqa: N802 - used like a class
    """``permission_classes = [RequiresScope("orders:read")]``: a third-party token needs
    every scope named (403 ``insufficient_scope`` naming the missing ones otherwise).

    First-party tokens and session users pass; anonymous callers do not (401).
    Application tokens (client credentials, no user) pass when they hold the scopes:
    this is the one guard that lets them in. Returns a permission class (one per set
    of scopes), so it type-checks where DRF expects classes.
    """
    if not scopes or not all(isinstance(s, str) and s and " " not in s for s in scopes):
        raise ValueError("RequiresScope needs one or more scope names")
    name = "RequiresScope(" + ", ".join(map(repr, scopes)) + ")"
    return type(name, (ScopePermission,), {"required": scopes, "__module__": __name__})


class FirstPartyOnly(BasePermission):
    """Only the user in person (our own clients, sessions): account management, admin."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if isinstance(user, ClientPrincipal | TokenPrincipal) and not is_first_party(user):
            raise FirstPartyOnlyError()
        return bool(getattr(user, "is_authenticated", False))


class HasScope(BasePermission):
    """Subclass with ``scope = "..."``; session users (first-party) pass.

    Kept for existing subclasses; new code uses :class:`RequiresScope`.
    """

    scope: str = ""
    message = "The token lacks the scope this needs."

    def has_permission(self, request: Request, view: APIView) -> bool:
        scopes = getattr(request.user, "scopes", None)
        if scopes is None:
            return bool(getattr(request.user, "is_authenticated", False))
        return self.scope in scopes
