"""Reactions to events: auth consumes its own user events to invalidate the
platform's account-status cache in every process (memory and Redis).

One function per event type: the event platform keys a subscription (and its
inbox records) by handler name, so a function cannot serve several types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from bazaar_platform.events import IntegrationEvent
from bazaar_platform.tokens.status import invalidate_status
from contexts.auth.events import RoleGranted, RoleRevoked, UserDeactivated, UserUpdated


def _invalidate(user_id: UUID) -> None:
    invalidate_status(user_id)  # idempotent: invalidating twice is harmless


def on_user_updated_invalidate_status(event: UserUpdated) -> None:
    _invalidate(event.user_id)


def on_user_deactivated_invalidate_status(event: UserDeactivated) -> None:
    _invalidate(event.user_id)


def on_role_granted_invalidate_status(event: RoleGranted) -> None:
    _invalidate(event.user_id)


def on_role_revoked_invalidate_status(event: RoleRevoked) -> None:
    _invalidate(event.user_id)


HANDLERS: dict[type[IntegrationEvent], list[Callable[[Any], None]]] = {
    UserUpdated: [on_user_updated_invalidate_status],
    UserDeactivated: [on_user_deactivated_invalidate_status],
    RoleGranted: [on_role_granted_invalidate_status],
    RoleRevoked: [on_role_revoked_invalidate_status],
}
