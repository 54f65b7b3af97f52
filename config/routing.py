"""Websocket routes, collected from each context that serves any."""

from typing import Any

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern | Any] = []
