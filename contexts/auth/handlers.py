"""Reactions to events: auth consumes its own user events to invalidate the
platform's account-status cache in every process (memory and Redis)."""

from __future__ import annotations

from bazaar_platform.tokens.status import invalidate_status
from contexts.auth.events import RoleGranted, RoleRevoked, UserDeactivated, UserUpdated


def invalidate_account_status(event: UserUpdated | UserDeactivated | RoleGranted | RoleRevoked) -> None:
    """Idempotent: invalidating twice is harmless."""
    invalidate_status(event.user_id)


HANDLERS = {
    UserUpdated: [invalidate_account_status],
    UserDeactivated: [invalidate_account_status],
    RoleGranted: [invalidate_account_status],
    RoleRevoked: [invalidate_account_status],
}
