"""``/ws/notifications/``: a user's in-app notifications, pushed live.

Behind :class:`bazaar_platform.tokens.websocket.TokenAuthMiddleware` (the access token
in ``?token=``, the ``bearer, <token>`` subprotocol pair or an ``Authorization``
header). Each socket joins its user's group on the channel layer, so a notification
reaches every tab and device of that user in every ASGI process.

Closing codes:

* ``4401``: no token (anonymous sockets are accepted then closed at once, so a browser
  sees the code; a token that fails verification is refused by the middleware during
  the handshake), the token expired (a close is scheduled at ``exp``; re-sending a fresh
  token in an ``authenticate`` message moves it), or the account stopped being active
  (checked on every push, and pushed at once by the ``auth.user_deactivated`` handler);
* ``1009``: a client frame larger than ``NOTIFICATIONS_WS_MAX_FRAME_BYTES``.

Server → client frames (JSON): ``hello`` (unread count, token expiry), ``notification``
(an inbox item and the new unread count), ``read`` (items read elsewhere), ``pong``,
``authenticated``, ``error`` (``code``, ``message``; the socket stays open).
Client → server: ``{"type": "ping"}``, ``{"type": "authenticate", "token": "..."}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any
from uuid import UUID

import structlog
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from bazaar_platform.tokens.errors import TokenError
from bazaar_platform.tokens.permissions import is_first_party
from bazaar_platform.tokens.status import StatusUnavailableError, account_status
from bazaar_platform.tokens.validate import authenticate_token
from bazaar_platform.tokens.websocket import CLOSE_UNAUTHORIZED
from contexts.notifications import selectors
from contexts.notifications.services.push import MSG_CREATED, MSG_READ, MSG_REVOKED, user_group

log = structlog.get_logger("bazaar.notifications.ws")

CLOSE_TOO_BIG = 1009


def _unread(user_id: UUID) -> int:
    return selectors.unread_count(user_id=user_id)


def _still_active(user_id: UUID) -> bool:
    """The account may still act (cached: process memory, then Redis, then auth)."""
    try:
        status = account_status(user_id)
    except StatusUnavailableError:
        log.warning("ws_status_unavailable", user_id=str(user_id))
        return True  # the token is valid and unexpired; do not cut users off on an outage
    return status.exists and status.is_active


class NotificationConsumer(AsyncWebsocketConsumer):
    user_id: UUID | None = None
    group: str = ""
    expires_at: float = 0.0
    _expiry: asyncio.TimerHandle | None = None
    _expiry_task: asyncio.Task[None] | None = None
    _closed: bool = False

    # --- lifecycle ----------------------------------------------------------------------
    async def connect(self) -> None:
        user = self.scope.get("user")
        claims = self.scope.get("token_claims") or {}
        if user is None or not getattr(user, "is_authenticated", False) or not claims:
            await self.accept()
            await self._shut(CLOSE_UNAUTHORIZED, "authentication_required")
            return
        self.user_id = UUID(str(user.user_id))
        self.expires_at = float(claims.get("exp", 0))
        if not await database_sync_to_async(_still_active)(self.user_id):
            # Accept (echoing the subprotocol, or browsers drop the socket with 1006)
            # so the client sees why: 4401.
            await self.accept(subprotocol=self.scope.get("accept_subprotocol"))
            await self._shut(CLOSE_UNAUTHORIZED, "account_inactive")
            return
        self.group = user_group(self.user_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept(subprotocol=self.scope.get("accept_subprotocol"))
        self._schedule_expiry()
        await self._send(
            {
                "type": "hello",
                "user_id": str(self.user_id),
                "unread_count": await database_sync_to_async(_unread)(self.user_id),
                "expires_at": int(self.expires_at),
            }
        )

    async def disconnect(self, code: int) -> None:
        self._closed = True
        if self._expiry is not None:
            self._expiry.cancel()
        if self.group:
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(self.group, self.channel_name)

    def _schedule_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        delay = max(0.0, self.expires_at - time.time())
        loop = asyncio.get_running_loop()
        self._expiry = loop.call_later(delay, self._expire_now, loop)

    def _expire_now(self, loop: asyncio.AbstractEventLoop) -> None:
        self._expiry_task = loop.create_task(self._shut(CLOSE_UNAUTHORIZED, "token_expired"))

    async def _shut(self, code: int, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        if self._expiry is not None:
            self._expiry.cancel()
        log.info("ws_closed_by_server", user_id=str(self.user_id or ""), code=code, reason=reason)
        await self.close(code=code, reason=reason)

    async def _send(self, content: dict[str, Any]) -> None:
        if not self._closed:
            await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def _error(self, code: str, message: str) -> None:
        await self._send({"type": "error", "code": code, "message": message})

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale DB connections (a thread hop) before every handler. Pushes
        # touch the database only through database_sync_to_async, which does that itself,
        # so they skip it: one thread hop less per notification and socket.
        handler = _PUSH_HANDLERS.get(message.get("type", ""))
        if handler is not None:
            await handler(self, message)
        else:
            await super().dispatch(message)

    # --- from the client ------------------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        limit = int(settings.NOTIFICATIONS_WS_MAX_FRAME_BYTES)
        size = len(bytes_data or b"") if text_data is None else len(text_data)
        if size > limit or (text_data is not None and len(text_data.encode("utf-8")) > limit):
            await self._error("frame_too_large", f"Frames are limited to {limit} bytes.")
            await self._shut(CLOSE_TOO_BIG, "frame_too_large")
            return
        if text_data is None:
            await self._error("binary_not_supported", "Send JSON text frames.")
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self._error("malformed_json", "Frames must be JSON objects.")
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "authenticate":
            await self._reauthenticate(message.get("token"))
        else:
            await self._error(
                "unknown_message",
                "Understood: {'type': 'ping'} and {'type': 'authenticate', 'token': ...}.",
            )

    async def _reauthenticate(self, token: Any) -> None:
        if not isinstance(token, str) or not token:
            await self._error("invalid_token", "authenticate needs a token.")
            return
        try:
            principal = await database_sync_to_async(authenticate_token)(token)
        except TokenError as exc:
            await self._error("invalid_token", f"The token was refused ({exc.code}).")
            return
        if not is_first_party(principal):  # as the middleware does at the handshake
            await self._error("first_party_only", "Only Bazaar's own clients may use this socket.")
            return
        if principal.user_id != self.user_id:
            await self._error("wrong_user", "The token belongs to another user.")
            return
        self.expires_at = float(principal.claims.get("exp", 0))
        # Refreshes the group membership's expiry on the channel layer too.
        await self.channel_layer.group_add(self.group, self.channel_name)
        self._schedule_expiry()
        await self._send({"type": "authenticated", "expires_at": int(self.expires_at)})

    # --- from the channel layer -------------------------------------------------------------
    async def _may_push(self) -> bool:
        if self._closed or self.user_id is None:
            return False
        if time.time() >= self.expires_at:
            await self._shut(CLOSE_UNAUTHORIZED, "token_expired")
            return False
        if not await database_sync_to_async(_still_active)(self.user_id):
            await self._shut(CLOSE_UNAUTHORIZED, "account_inactive")
            return False
        return True

    async def notify_created(self, event: dict[str, Any]) -> None:
        if await self._may_push():
            await self._send(
                {
                    "type": "notification",
                    "notification": event["item"],
                    "unread_count": event.get("unread_count"),
                }
            )

    async def notify_read(self, event: dict[str, Any]) -> None:
        if await self._may_push():
            await self._send(
                {
                    "type": "read",
                    "ids": event.get("ids", []),
                    "all": bool(event.get("all")),
                    "unread_count": event.get("unread_count"),
                }
            )

    async def notify_revoked(self, event: dict[str, Any]) -> None:
        await self._shut(CLOSE_UNAUTHORIZED, str(event.get("reason", "revoked"))[:60])


_PUSH_HANDLERS = {
    MSG_CREATED: NotificationConsumer.notify_created,
    MSG_READ: NotificationConsumer.notify_read,
    MSG_REVOKED: NotificationConsumer.notify_revoked,
}
