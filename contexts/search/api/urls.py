"""Mounted at ``/api/v1/search/`` by ``config/urls.py``."""

from __future__ import annotations

from django.urls import path

from contexts.search.api.views import ProductSearchApi, QueryStatsApi, SuggestionsApi

urlpatterns = [
    path("products/", ProductSearchApi.as_view(), name="products"),
    path("suggestions/", SuggestionsApi.as_view(), name="suggestions"),
    path("staff/queries/", QueryStatsApi.as_view(), name="staff-queries"),
]
