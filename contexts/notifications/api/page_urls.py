"""Mounted by config/urls.py at /notifications/."""

from __future__ import annotations

from django.urls import URLPattern, path

from contexts.notifications.api.pages import inbox_page

urlpatterns: list[URLPattern] = [path("", inbox_page, name="notifications-inbox")]
