"""Role guards and the principal, without a database."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from bazaar_platform.tokens.permissions import (
    HasScope,
    IsAdmin,
    IsCustomer,
    IsVendor,
    principal_roles,
    principal_user_id,
)
from bazaar_platform.tokens.principal import TokenPrincipal
from bazaar_platform.tokens.status import AccountStatus

pytestmark = pytest.mark.unit


def principal(*roles: str, scope: str = "read") -> TokenPrincipal:
    return TokenPrincipal(
        user_id=uuid.uuid4(), roles=frozenset(roles), scopes=frozenset(scope.split()), claims={}
    )


def request_as(user: Any) -> Request:
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    return request


@pytest.mark.parametrize(
    ("guard", "roles", "allowed"),
    [
        (IsAdmin, ("admin",), True),
        (IsAdmin, ("vendor", "customer"), False),
        (IsVendor, ("vendor",), True),
        (IsVendor, ("customer",), False),
        (IsCustomer, ("customer", "vendor"), True),
        (IsCustomer, (), False),
    ],
)
def test_role_guards(guard: type, roles: tuple[str, ...], allowed: bool) -> None:
    assert guard().has_permission(request_as(principal(*roles)), APIView()) is allowed


def test_guards_refuse_anonymous_users() -> None:
    for guard in (IsAdmin, IsVendor, IsCustomer):
        assert guard().has_permission(request_as(AnonymousUser()), APIView()) is False
    assert principal_roles(AnonymousUser()) == frozenset()
    assert principal_user_id(AnonymousUser()) is None


def test_scope_guard() -> None:
    class NeedsWrite(HasScope):
        scope = "write"

    assert NeedsWrite().has_permission(request_as(principal(scope="read write")), APIView())
    assert not NeedsWrite().has_permission(request_as(principal(scope="read")), APIView())


def test_principal_looks_like_a_user_to_drf_and_django() -> None:
    p = principal("admin")
    assert p.is_authenticated
    assert not p.is_anonymous
    assert p.is_staff
    assert p.pk == p.id == p.user_id
    assert str(p).startswith("principal:")


@pytest.mark.parametrize(
    ("status", "customer", "vendor"),
    [
        (
            AccountStatus(
                uuid.uuid4(), True, True, "active", "active", frozenset({"customer", "vendor"})
            ),
            True,
            True,
        ),
        (
            AccountStatus(
                uuid.uuid4(), True, False, "active", "active", frozenset({"customer", "vendor"})
            ),
            False,
            False,
        ),
        (
            AccountStatus(
                uuid.uuid4(), True, True, "pending", "suspended", frozenset({"customer", "vendor"})
            ),
            False,
            False,
        ),
        (AccountStatus(uuid.uuid4(), True, True, "active", "active", frozenset()), False, False),
        (AccountStatus(uuid.uuid4(), False), False, False),
    ],
)
def test_account_status_rules(status: AccountStatus, customer: bool, vendor: bool) -> None:
    assert status.customer_active is customer
    assert status.vendor_active is vendor
    assert AccountStatus.from_cache(status.user_id, status.to_cache()) == status
