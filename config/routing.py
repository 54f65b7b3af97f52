"""Websocket routes, collected from each context that serves any."""

from typing import Any

from django.urls import URLPattern, path

from bazaar_platform.tokens.websocket import TokenAuthMiddleware
from contexts.notifications.api.consumers import NotificationConsumer

websocket_urlpatterns: list[URLPattern | Any] = [
    path(
        "ws/notifications/",
        TokenAuthMiddleware(NotificationConsumer.as_asgi()),  # type: ignore[arg-type]  # an ASGI app
    ),
]
