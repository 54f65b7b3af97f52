"""The auth context's published language: integration events it emits through the outbox.

Payloads hold ids and primitives only. Consumers: the auth context itself
(status-cache invalidation, ``handlers.py``); notifications (welcome mail) and
vendors (onboarding) are expected to subscribe.
"""

from __future__ import annotations

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


ALL_EVENTS: tuple[type[IntegrationEvent], ...] = (
    UserRegistered,
    UserUpdated,
    UserDeactivated,
    RoleGranted,
    RoleRevoked,
)
