"""Role and status guards for DRF views.

Roles come from the token (no lookup). "Active" guards also consult the cached
account status (:mod:`bazaar_platform.tokens.status`), so a deactivation takes
effect at once, before the access token expires.

For a session-authenticated Django user, roles are read from its ``roles``
attribute (the auth context's user model provides it).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from bazaar_platform.tokens.principal import ROLE_ADMIN, ROLE_CUSTOMER, ROLE_VENDOR
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


class HasScope(BasePermission):
    """Subclass with ``scope = "..."``; session users (first-party) pass."""

    scope: str = ""
    message = "The token lacks the scope this needs."

    def has_permission(self, request: Request, view: APIView) -> bool:
        scopes = getattr(request.user, "scopes", None)
        if scopes is None:
            return bool(getattr(request.user, "is_authenticated", False))
        return self.scope in scopes
