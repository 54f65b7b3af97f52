"""The auth context's synchronous API for other contexts (and the platform's loaders).

Plain functions, keyword arguments, serialisable results (frozen dataclasses, ids,
dicts). No other context imports the user model; they call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from contexts.auth.selectors import user_email_get, user_get, user_get_by_email, user_role_names
from contexts.auth.services import accounts, keys


@dataclass(frozen=True)
class UserProfile:
    """What another context may show about a user."""

    user_id: UUID
    email: str
    full_name: str
    email_verified: bool
    roles: frozenset[str]


@dataclass(frozen=True)
class UserStatus:
    """Whether a user may act, per role."""

    user_id: UUID
    is_active: bool
    customer_status: str
    vendor_status: str
    roles: frozenset[str]

    @property
    def customer_active(self) -> bool:
        return self.is_active and "customer" in self.roles and self.customer_status == "active"

    @property
    def vendor_active(self) -> bool:
        return self.is_active and "vendor" in self.roles and self.vendor_status == "active"


def user_profile(*, user_id: UUID) -> UserProfile | None:
    """The public profile of ``user_id``, or ``None`` if there is no such user."""
    user = user_get(user_id=user_id)
    if user is None:
        return None
    return UserProfile(
        user_id=user.pk,
        email=user.email,
        full_name=user.full_name,
        email_verified=user.email_verified,
        roles=user_role_names(user_id=user.pk),
    )


def user_email(*, user_id: UUID) -> str | None:
    """The e-mail address of ``user_id`` (one query), or ``None`` if there is no such user."""
    return user_email_get(user_id=user_id)


def user_status(*, user_id: UUID) -> UserStatus | None:
    """Activation status of ``user_id`` (fresh from the database), or ``None``."""
    user = user_get(user_id=user_id)
    if user is None:
        return None
    return UserStatus(
        user_id=user.pk,
        is_active=user.is_active,
        customer_status=user.customer_status,
        vendor_status=user.vendor_status,
        roles=user_role_names(user_id=user.pk),
    )


def user_status_for_guard(*, user_id: UUID) -> UserStatus | None:
    """The loader behind the platform's status cache (``BAZAAR_TOKENS["STATUS_LOADER"]``)."""
    return user_status(user_id=user_id)


def user_has_role(*, user_id: UUID, role: str) -> bool:
    """Whether ``user_id`` holds ``role`` ("admin", "vendor" or "customer") right now."""
    return role in user_role_names(user_id=user_id)


def user_create_or_get(*, email: str, full_name: str, password: str | None = None) -> UUID:
    """The id of the account for ``email``, created (customer role) if there is none.

    With ``password=None`` the new account has no usable password and its owner is
    e-mailed a link to choose one. Raises ``ApplicationError`` on an invalid e-mail
    address or a password the validators refuse.
    """
    user, _ = accounts.user_create_or_get(email=email, full_name=full_name, password=password)
    return UUID(str(user.pk))


def user_id_for_email(*, email: str) -> UUID | None:
    """The id of the account registered with ``email`` (case-insensitive), or ``None``.

    For flows that must not silently attach to somebody else's account (anonymous
    vendor registration refuses an address that already has one). Endpoints using it
    reveal whether an address is registered: throttle them.
    """
    user = user_get_by_email(email=email.strip().lower())
    return None if user is None else UUID(str(user.pk))


def role_grant(*, user_id: UUID, role: str) -> None:
    """Grant ``role`` to ``user_id`` (idempotent). Granting "vendor" activates the vendor status."""
    accounts.role_grant(user_id=user_id, role=role)


def jwks_document() -> dict[str, Any]:
    """The public signing keys (JWKS); the platform verifier's in-process key source."""
    return keys.jwks_document()
