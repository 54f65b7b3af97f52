"""Mounted by config/urls.py at /api/v1/orders/ (namespace "orders")."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
