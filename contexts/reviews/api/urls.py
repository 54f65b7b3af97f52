"""Mounted by config/urls.py at /api/v1/reviews/ (namespace "reviews")."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
