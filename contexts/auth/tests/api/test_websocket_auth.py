"""The Channels middleware: token from ?token=, the bearer subprotocol, or a header."""

from __future__ import annotations

import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.testing import WebsocketCommunicator

from bazaar_platform.tokens import create_token
from bazaar_platform.tokens.websocket import CLOSE_UNAUTHORIZED, TokenAuthMiddleware
from contexts.auth.services.keys import current_signing_key
from contexts.auth.services.tokens import session_start
from contexts.auth.tests import support
from contexts.auth.tests.factories import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


class WhoAmI(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept(subprotocol=self.scope.get("accept_subprotocol"))
        user = self.scope["user"]
        await self.send_json(
            {
                "authenticated": bool(user.is_authenticated),
                "user_id": str(getattr(user, "user_id", "")),
                "roles": sorted(getattr(user, "roles", [])),
                "jti": (self.scope.get("token_claims") or {}).get("jti"),
            }
        )


APP = TokenAuthMiddleware(WhoAmI.as_asgi())


async def token_for_new_user() -> tuple[str, str]:
    user = await sync_to_async(make_user)()
    pair = await sync_to_async(session_start)(user=user)
    return pair.access_token, str(user.pk)


async def test_token_in_query_string() -> None:
    token, user_id = await token_for_new_user()
    communicator = WebsocketCommunicator(APP, f"/ws/test/?token={token}")
    connected, _ = await communicator.connect()
    assert connected
    message = await communicator.receive_json_from()
    assert message["authenticated"]
    assert message["user_id"] == user_id
    assert message["roles"] == ["customer"]
    assert message["jti"]
    await communicator.disconnect()


async def test_token_in_subprotocol_is_echoed_back() -> None:
    token, user_id = await token_for_new_user()
    communicator = WebsocketCommunicator(APP, "/ws/test/", subprotocols=["bearer", token])
    connected, subprotocol = await communicator.connect()
    assert connected
    assert subprotocol == "bearer"
    assert (await communicator.receive_json_from())["user_id"] == user_id
    await communicator.disconnect()


async def test_token_in_authorization_header() -> None:
    token, user_id = await token_for_new_user()
    communicator = WebsocketCommunicator(
        APP, "/ws/test/", headers=[(b"authorization", f"Bearer {token}".encode())]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["user_id"] == user_id
    await communicator.disconnect()


async def test_no_token_is_anonymous() -> None:
    communicator = WebsocketCommunicator(APP, "/ws/test/")
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["authenticated"] is False
    await communicator.disconnect()


async def _forged(**overrides: Any) -> str:
    key = await sync_to_async(current_signing_key)()
    return create_token(support.claims(**overrides), private_key=key.private_key, kid=key.kid)


@pytest.mark.parametrize(
    "kind",
    ["expired", "garbage", "wrong-audience", "empty-query", "bearer-without-token", "other-key"],
)
async def test_bad_tokens_refuse_the_handshake(kind: str) -> None:
    now = int(time.time())
    path, subprotocols = "/ws/test/", None
    if kind == "expired":
        path += f"?token={await _forged(iat=now - 900, exp=now - 600)}"
    elif kind == "garbage":
        path += "?token=a.b.c"
    elif kind == "wrong-audience":
        path += f"?token={await _forged(aud='elsewhere')}"
    elif kind == "empty-query":
        path += "?token="
    elif kind == "bearer-without-token":
        subprotocols = ["bearer"]
    else:
        other = support.rsa_key("b")
        path += "?token=" + create_token(
            support.claims(), private_key=other, kid=support.kid_of(other)
        )
    communicator = WebsocketCommunicator(APP, path, subprotocols=subprotocols)
    connected, code = await communicator.connect()
    assert not connected
    assert code == CLOSE_UNAUTHORIZED
    await communicator.disconnect()
