"""Mounted by config/urls.py at /api/v1/notifications/ (namespace "notifications")."""

from __future__ import annotations

from django.urls import URLPattern, path

from contexts.notifications.api import views as v

urlpatterns: list[URLPattern] = [
    path("", v.InboxListApi.as_view(), name="inbox"),
    path("unread-count", v.UnreadCountApi.as_view(), name="unread-count"),
    path("read-all", v.InboxMarkAllReadApi.as_view(), name="read-all"),
    path("<uuid:item_id>/read", v.InboxItemMarkReadApi.as_view(), name="mark-read"),
    path("preferences", v.PreferencesApi.as_view(), name="preferences"),
    path("messages", v.MessageSendApi.as_view(), name="messages"),
]
