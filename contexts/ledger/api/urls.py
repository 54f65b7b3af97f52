"""Mounted by config/urls.py at /api/v1/ledger/ (namespace "ledger")."""

from __future__ import annotations

from django.urls import URLPattern, path

from contexts.ledger.api import views as v

urlpatterns: list[URLPattern] = [
    path("balance", v.BalanceApi.as_view(), name="balance"),
    path("statement", v.StatementApi.as_view(), name="statement"),
]
