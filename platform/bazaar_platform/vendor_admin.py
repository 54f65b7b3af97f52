"""The vendor admin site (``/vendor-admin/``): a second Django ``AdminSite`` for vendors.

Staff use ``/admin/`` and see everything. Vendors log in here with their own account
and see only their vendor's data: every model registered on :data:`vendor_admin_site`
through :class:`VendorScopedAdmin` is filtered to the logged-in user's vendor, and
view / add / change / delete are granted by the user's role inside that vendor
(owner, manager, staff), not by Django model permissions.

The platform knows no context: who belongs to which vendor is answered by the function
named in ``settings.BAZAAR_VENDOR_ADMIN["MEMBERSHIP_RESOLVER"]`` (in the monolith, the
vendors facade), called with ``user_id=`` and returning an object with ``vendor_id``
and ``role`` (or ``None``). Any context registers its vendor-facing models here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Protocol
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.module_loading import import_string

ROLE_OWNER = "owner"
ROLE_MANAGER = "manager"
ROLE_STAFF = "staff"
ALL_ROLES = frozenset({ROLE_OWNER, ROLE_MANAGER, ROLE_STAFF})
MANAGING_ROLES = frozenset({ROLE_OWNER, ROLE_MANAGER})


class Membership(Protocol):
    vendor_id: UUID
    role: str


def _resolver() -> Any:
    return import_string(settings.BAZAAR_VENDOR_ADMIN["MEMBERSHIP_RESOLVER"])


def membership_of(request: HttpRequest) -> Membership | None:
    """The logged-in user's vendor membership, looked up once per request."""
    if hasattr(request, "_bazaar_vendor_membership"):
        cached: Membership | None = request._bazaar_vendor_membership
        return cached
    user = getattr(request, "user", None)
    membership: Membership | None = None
    if user is not None and user.is_authenticated and user.is_active:
        membership = _resolver()(user_id=UUID(str(user.pk)))
    request._bazaar_vendor_membership = membership  # type: ignore[attr-defined]
    return membership


class VendorAdminAuthenticationForm(AuthenticationForm):
    """Log-in for vendor members (Django's admin form would demand ``is_staff``)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_vendor": "This account does not belong to a vendor.",
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if _resolver()(user_id=UUID(str(user.pk))) is None:
            raise forms.ValidationError(self.error_messages["not_vendor"], code="not_vendor")


class VendorAdminSite(admin.AdminSite):
    site_header = "Bazaar — vendor admin"
    site_title = "Bazaar vendor admin"
    index_title = "Your stores"
    login_form = VendorAdminAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        return membership_of(request) is not None


vendor_admin_site = VendorAdminSite(name="vendor_admin")


class VendorScopedAdmin(admin.ModelAdmin):
    """A model admin that shows a vendor only its own rows.

    ``vendor_lookup`` is the ORM path from the model to the owning vendor's id
    (``"vendor_id"``, ``"vendor__id"``, ``"subscription__vendor_id"``); the role sets
    say which member roles may do what.
    """

    vendor_lookup: ClassVar[str] = "vendor_id"
    view_roles: ClassVar[frozenset[str]] = ALL_ROLES
    add_roles: ClassVar[frozenset[str]] = MANAGING_ROLES
    change_roles: ClassVar[frozenset[str]] = MANAGING_ROLES
    delete_roles: ClassVar[frozenset[str]] = MANAGING_ROLES

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        membership = membership_of(request)
        queryset = super().get_queryset(request)
        if membership is None:
            return queryset.none()
        return queryset.filter(**{self.vendor_lookup: membership.vendor_id})

    def _owns(self, request: HttpRequest, obj: Model | None) -> bool:
        if obj is None:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def _role_in(self, request: HttpRequest, roles: Iterable[str]) -> bool:
        membership = membership_of(request)
        return membership is not None and membership.role in roles

    def has_module_permission(self, request: HttpRequest) -> bool:
        return membership_of(request) is not None

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._role_in(request, self.view_roles) and self._owns(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._role_in(request, self.add_roles)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._role_in(request, self.change_roles) and self._owns(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._role_in(request, self.delete_roles) and self._owns(request, obj)
