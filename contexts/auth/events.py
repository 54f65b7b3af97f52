"""The auth context's published language: integration events it emits through the outbox.

Payloads hold ids and primitives only. Consumers: the auth context itself
(status-cache invalidation and the token deny list, ``handlers.py``); notifications
(welcome mail, "an app was given access") and vendors (onboarding) are expected to
subscribe.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from bazaar_platform.events import IntegrationEvent


class UserRegistered(IntegrationEvent):
    event_type: ClassVar[str] = "auth.user_registered"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "user_id"

    user_id: UUID
    email: str
    full_name: str
    roles: list[str]
    via: str  # "password" | "social:<provider>" | "facade"


class UserUpdated(IntegrationEvent):
    event_type: ClassVar[str] = "auth.user_updated"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "user_id"

    user_id: UUID
    changed: list[str]
    is_active: bool
    email_verified: bool
    customer_status: str
    vendor_status: str


class UserDeactivated(IntegrationEvent):
    event_type: ClassVar[str] = "auth.user_deactivated"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "user_id"

    user_id: UUID
    reason: str


class RoleGranted(IntegrationEvent):
    event_type: ClassVar[str] = "auth.role_granted"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "user_id"

    user_id: UUID
    role: str
    granted_by: UUID | None


class RoleRevoked(IntegrationEvent):
    event_type: ClassVar[str] = "auth.role_revoked"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "user_id"

    user_id: UUID
    role: str
    revoked_by: UUID | None


class AppAuthorized(IntegrationEvent):
    """A user approved (more) scopes for a third-party application."""

    event_type: ClassVar[str] = "auth.app_authorized"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "user_id"

    user_id: UUID
    client_id: str
    application_name: str
    scopes: list[str]  # everything the user has now approved for this application
    added_scopes: list[str]  # what this approval added


class AppAccessRevoked(IntegrationEvent):
    """An application lost a user's authorization, and every token of that pair."""

    event_type: ClassVar[str] = "auth.app_access_revoked"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "user_id"

    user_id: UUID
    client_id: str
    by: str  # "user" | "owner" (the app was deleted) | "staff" | "deactivated"
    revoked_tokens: int


class TokenRevoked(IntegrationEvent):
    """An access token was revoked before it expired: every verifier must refuse its jti.

    The auth context's own handler feeds the platform's deny list with it.
    """

    event_type: ClassVar[str] = "auth.token_revoked"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "jti"

    jti: str
    expires_at: datetime
    user_id: UUID | None  # None for an application's own token (client credentials)
    client_id: str
    reason: str


ALL_EVENTS: tuple[type[IntegrationEvent], ...] = (
    UserRegistered,
    UserUpdated,
    UserDeactivated,
    RoleGranted,
    RoleRevoked,
    AppAuthorized,
    AppAccessRevoked,
    TokenRevoked,
)


class PasswordChanged(IntegrationEvent):
    """The account's password was changed by its owner or through a reset link; every
    session was revoked. A security notice the user cannot switch off."""

    event_type: ClassVar[str] = "auth.password_changed"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "user_id"

    user_id: UUID
    via: str  # "change" | "reset"


class NewDeviceLogin(IntegrationEvent):
    """A successful log-in from a browser or app this account has not used before.

    Not published for an account's very first log-in (there is nothing to compare
    with). ``ip`` and ``user_agent`` are the account owner's own data, carried so the
    security notice can say where the log-in came from.
    """

    event_type: ClassVar[str] = "auth.new_device_login"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "user_id"

    user_id: UUID
    ip: str
    user_agent: str
