"""Live push to a user's open websockets, through the Channels layer.

Each user's sockets join one group (``notifications.user.<hex id>``); a message sent
to the group reaches every socket of that user in every ASGI process (the Redis
channel layer in the services profile, the in-memory one in the embedded default).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = structlog.get_logger("bazaar.notifications.push")

# Channel-layer message types (handled by the consumer's methods of the same name,
# dots for underscores).
MSG_CREATED = "notify.created"
MSG_READ = "notify.read"
MSG_REVOKED = "notify.revoked"


def user_group(user_id: UUID) -> str:
    return f"notifications.user.{user_id.hex}"


def push_to_user(user_id: UUID, message: dict[str, Any]) -> None:
    """Send ``message`` to every socket of ``user_id``; raises if the layer refuses."""
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured (CHANNEL_LAYERS)")
    async_to_sync(layer.group_send)(user_group(user_id), message)


def push_quietly(user_id: UUID, message: dict[str, Any]) -> None:
    """Best effort (read receipts, revocations): a failure is logged, never raised.
    Clients re-read the inbox when they reconnect."""
    try:
        push_to_user(user_id, message)
    except Exception:
        log.warning(
            "notification_push_failed",
            user_id=str(user_id),
            type=message.get("type"),
            exc_info=True,
        )
