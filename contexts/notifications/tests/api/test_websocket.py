"""``/ws/notifications/`` through the real ASGI stack (origin check, token middleware,
router) and the real Redis channel layer: live pushes to every tab, token expiry and
revocation, and clients that send what the server does not understand."""

from __future__ import annotations

import base64
import contextlib
import json
import time
import uuid
from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string
from rest_framework.test import APIClient

from bazaar_platform.events import register_handlers
from bazaar_platform.events.registry import unregister_handler
from bazaar_platform.tokens import create_token
from contexts.auth import events as auth_events
from contexts.notifications import facade
from contexts.notifications.handlers import on_user_deactivated_close_sockets
from contexts.notifications.tests.conftest import _signing_pem, login, make_user, profile_email

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

# The project's ASGI application (origin check, token middleware, router), by its
# settings name: a context does not import config.
application = import_string(settings.ASGI_APPLICATION)
PATH = "/ws/notifications/"


_OPENED: list[WebsocketCommunicator] = []


@pytest_asyncio.fixture(autouse=True)
async def _close_thread_connections():
    yield
    # Let every consumer finish (group_discard, StopConsumer) before the loop closes:
    # a consumer the server closed still waits for the client's disconnect.
    while _OPENED:
        with contextlib.suppress(Exception):
            await _OPENED.pop().disconnect(timeout=5)
    # sync_to_async runs ORM calls on a shared worker thread whose connection would
    # otherwise outlive the test (and block dropping the test database).
    await sync_to_async(connections.close_all)()


ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


async def _user(**kwargs: Any) -> tuple[Any, str]:
    user_id = await sync_to_async(make_user)(**kwargs)
    email = await sync_to_async(profile_email)(user_id)
    token = (await sync_to_async(login)(email))["access_token"]
    return user_id, token


async def _open(token: str | None, **kwargs: Any) -> WebsocketCommunicator:
    subprotocols = ["bearer", token] if token else None
    communicator = WebsocketCommunicator(
        application, PATH, subprotocols=subprotocols, headers=ORIGIN
    )
    _OPENED.append(communicator)
    connected, subprotocol = await communicator.connect(timeout=5)
    assert connected
    if token:
        assert subprotocol == "bearer"
    return communicator


async def _hello(communicator: WebsocketCommunicator) -> dict[str, Any]:
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["type"] == "hello", hello
    return hello


async def _closed_with(communicator: WebsocketCommunicator, timeout: float = 5) -> int:
    while True:
        output = await communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            return int(output["code"])


def _send_in_app(user_id: Any, html: str) -> Any:
    return facade.notification_send(
        channels=["in_app"], recipient_user_id=user_id, in_app_body=html
    )


async def test_anonymous_sockets_are_closed_with_4401():
    communicator = await _open(None)
    assert await _closed_with(communicator) == 4401


async def test_a_bad_token_is_refused_at_the_handshake():
    communicator = WebsocketCommunicator(
        application, PATH, subprotocols=["bearer", "a.b.c"], headers=ORIGIN
    )
    _OPENED.append(communicator)
    connected, code = await communicator.connect(timeout=5)
    assert not connected and code == 4401


async def test_every_tab_of_the_user_gets_each_notification_and_nobody_else_does():
    user_id, token = await _user()
    _other_id, other_token = await _user()
    tab1, tab2, stranger = await _open(token), await _open(token), await _open(other_token)
    for socket in (tab1, tab2, stranger):
        await _hello(socket)
    await sync_to_async(_send_in_app)(user_id, "<p>Your parcel shipped</p>")
    for tab in (tab1, tab2):
        message = await tab.receive_json_from(timeout=5)
        assert message["type"] == "notification"
        assert message["notification"]["body_html"] == "<p>Your parcel shipped</p>"
        assert message["unread_count"] == 2  # the welcome from registration, and this
    assert await stranger.receive_nothing(timeout=0.5)
    for socket in (tab1, tab2, stranger):
        await socket.disconnect()


async def test_reading_in_one_tab_updates_the_others():
    _user_id, token = await _user()
    tab = await _open(token)
    assert (await _hello(tab))["unread_count"] == 1  # the welcome
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = await sync_to_async(client.post)("/api/v1/notifications/read-all")
    assert response.status_code == 200
    message = await tab.receive_json_from(timeout=5)
    assert message == {"type": "read", "ids": [], "all": True, "unread_count": 0}
    await tab.disconnect()


async def test_messages_the_server_does_not_understand_get_an_error_and_the_socket_stays(settings):
    _, token = await _user()
    socket = await _open(token)
    await _hello(socket)
    for frame, code in [
        (json.dumps({"type": "subscribe", "topic": "all"}), "unknown_message"),
        ("{not json", "malformed_json"),
        ("[1, 2, 3]", "unknown_message"),
        (json.dumps({"type": "authenticate"}), "invalid_token"),
        (json.dumps({"type": "authenticate", "token": "x.y.z"}), "invalid_token"),
    ]:
        await socket.send_to(text_data=frame)
        reply = await socket.receive_json_from(timeout=5)
        assert (reply["type"], reply["code"]) == ("error", code), (frame, reply)
    await socket.send_to(bytes_data=b"\x00\x01")
    assert (await socket.receive_json_from(timeout=5))["code"] == "binary_not_supported"
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.disconnect()


async def test_oversized_frames_are_refused_and_the_socket_closed_with_1009(settings):
    settings.NOTIFICATIONS_WS_MAX_FRAME_BYTES = 1024
    _, token = await _user()
    socket = await _open(token)
    await _hello(socket)
    await socket.send_to(
        text_data=json.dumps({"type": "ping", "pad": "é" * 600})
    )  # > 1 KiB in UTF-8
    reply = await socket.receive_json_from(timeout=5)
    assert (reply["type"], reply["code"]) == ("error", "frame_too_large")
    assert await _closed_with(socket) == 1009


async def test_the_socket_closes_when_the_token_expires(settings):
    settings.AUTH_ACCESS_TOKEN_TTL_SECONDS = 2
    _, token = await _user()
    socket = await _open(token)
    hello = await _hello(socket)
    assert hello["expires_at"] > 0
    assert await _closed_with(socket, timeout=6) == 4401


async def test_a_fresh_token_on_the_open_socket_moves_the_expiry(settings):
    settings.AUTH_ACCESS_TOKEN_TTL_SECONDS = 2
    user_id, token = await _user()
    socket = await _open(token)
    first = await _hello(socket)
    settings.AUTH_ACCESS_TOKEN_TTL_SECONDS = 300
    fresh = (await sync_to_async(login)(await sync_to_async(profile_email)(user_id)))[
        "access_token"
    ]
    await socket.send_json_to({"type": "authenticate", "token": fresh})
    reply = await socket.receive_json_from(timeout=5)
    assert reply["type"] == "authenticated" and reply["expires_at"] > first["expires_at"] + 200
    assert await socket.receive_nothing(timeout=3)  # past the old expiry, still open
    _, someone_else = await _user()
    await socket.send_json_to({"type": "authenticate", "token": someone_else})
    assert (await socket.receive_json_from(timeout=5))["code"] == "wrong_user"
    await socket.disconnect()


async def _deactivate(user_id: Any) -> None:
    admin_id = await sync_to_async(make_user)(role="admin")
    admin_token = (await sync_to_async(login)(await sync_to_async(profile_email)(admin_id)))[
        "access_token"
    ]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token}")
    response = await sync_to_async(client.post)(
        f"/api/v1/auth/users/{user_id}/deactivate", {"reason": "test"}, format="json"
    )
    assert response.status_code == 200, response.content


async def test_deactivating_the_account_closes_its_sockets_at_once():
    user_id, token = await _user()
    tab1, tab2 = await _open(token), await _open(token)
    await _hello(tab1)
    await _hello(tab2)
    await _deactivate(user_id)
    assert await _closed_with(tab1) == 4401
    assert await _closed_with(tab2) == 4401


async def test_each_push_rechecks_the_account():
    # Without the revocation handler, the next push finds the account inactive.
    unregister_handler("notifications.on_user_deactivated_close_sockets")
    try:
        user_id, token = await _user()
        socket = await _open(token)
        await _hello(socket)
        await _deactivate(user_id)
        assert await socket.receive_nothing(timeout=0.5)
        await sync_to_async(_send_in_app)(user_id, "<p>secret</p>")
        output = await socket.receive_output(timeout=5)
        assert output == {"type": "websocket.close", "code": 4401, "reason": "account_inactive"}
    finally:
        register_handlers(
            "notifications", {auth_events.UserDeactivated: [on_user_deactivated_close_sockets]}
        )


async def test_an_inactive_account_cannot_open_a_socket():
    user_id, token = await _user()
    await _deactivate(user_id)
    socket = await _open(token)  # the token itself is still unexpired
    assert await _closed_with(socket) == 4401


async def test_an_idle_socket_survives_the_channel_layers_blocking_read():
    # redis-py 8 made socket_timeout default to 5 s, which aborted channels-redis's
    # blocking 5 s BZPOPMIN and killed an idle consumer every ~5 s (channels_redis#422);
    # the layer's hosts carry a longer socket_timeout (config/settings.py).
    user_id, token = await _user()
    socket = await _open(token)
    await _hello(socket)
    assert await socket.receive_nothing(timeout=12, interval=0.5)
    await sync_to_async(_send_in_app)(user_id, "<p>still here</p>")
    message = await socket.receive_json_from(timeout=5)
    assert message["notification"]["body_html"] == "<p>still here</p>"
    await socket.disconnect()


def _third_party_token(user_id: Any) -> str:
    """A token of a third-party OAuth client for ``user_id``, signed with the test key
    (its kid read from the public JWKS)."""
    key = serialization.load_pem_private_key(_signing_pem().encode(), password=None)
    modulus = key.public_key().public_numbers().n  # type: ignore[union-attr]
    jwks = APIClient().get("/.well-known/jwks.json").json()
    kid = next(k["kid"] for k in jwks["keys"] if int.from_bytes(_b64(k["n"]), "big") == modulus)
    now = int(time.time())
    claims = {
        "iss": settings.SITE_URL,
        "aud": settings.AUTH_TOKEN_AUDIENCE,
        "sub": str(user_id),
        "client_id": "acme-orders",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "roles": ["customer"],
        "scope": "openid profile",
    }
    return create_token(claims, private_key=key, kid=kid)


def _b64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


async def test_third_party_tokens_are_refused_at_the_handshake_and_on_the_socket():
    user_id, token = await _user()
    foreign = await sync_to_async(_third_party_token)(user_id)
    refused = WebsocketCommunicator(
        application, PATH, subprotocols=["bearer", foreign], headers=ORIGIN
    )
    _OPENED.append(refused)
    connected, code = await refused.connect(timeout=5)
    assert not connected and code == 4403
    socket = await _open(token)
    await _hello(socket)
    await socket.send_json_to({"type": "authenticate", "token": foreign})
    reply = await socket.receive_json_from(timeout=5)
    assert (reply["type"], reply["code"]) == ("error", "first_party_only")
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
