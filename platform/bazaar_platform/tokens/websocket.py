"""Channels middleware: a websocket's token, verified locally, as ``scope["user"]``.

The token comes from ``?token=``, from the subprotocol list ``bearer, <token>``
(browsers cannot set headers on a websocket), or from an ``Authorization`` header.
No token: ``scope["user"]`` is anonymous. A token that fails verification: the
handshake is refused (close code 4401) before the consumer runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser

from bazaar_platform.observability.middleware import bind_user
from bazaar_platform.tokens.errors import TokenError
from bazaar_platform.tokens.extract import WEBSOCKET_SUBPROTOCOL, extract_from_scope
from bazaar_platform.tokens.principal import TokenPrincipal
from bazaar_platform.tokens.validate import authenticate_token

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CLOSE_UNAUTHORIZED = 4401


class TokenAuthMiddleware:
    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "websocket":
            await self.inner(scope, receive, send)
            return
        scope = dict(scope)
        try:
            token = extract_from_scope(scope)
            # The key set may need loading (a DB or HTTP call): off the event loop.
            principal: TokenPrincipal | None = (
                await database_sync_to_async(authenticate_token)(token) if token else None
            )
        except TokenError as error:
            await self._refuse(scope, receive, send, error)
            return
        if principal is None:
            scope.setdefault("user", AnonymousUser())
            scope["token_claims"] = None
        else:
            bind_user(str(principal.user_id))
            scope["user"] = principal
            scope["token_claims"] = dict(principal.claims)
            if WEBSOCKET_SUBPROTOCOL in (scope.get("subprotocols") or ()):
                # The consumer must echo this subprotocol when it accepts.
                scope["accept_subprotocol"] = WEBSOCKET_SUBPROTOCOL
        await self.inner(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: TokenError) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": CLOSE_UNAUTHORIZED, "reason": error.code})


def TokenAuthMiddlewareStack(inner: ASGIApp) -> TokenAuthMiddleware:  # noqa: N802 - Channels' naming
    return TokenAuthMiddleware(inner)
