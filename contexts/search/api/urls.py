"""Mounted at ``/api/v1/search/`` by ``config/urls.py``."""

from __future__ import annotations

from django.urls import path

from contexts.search.api.views import (
    BoughtTogetherApi,
    ForYouApi,
    ProductSearchApi,
    QueryStatsApi,
    SimilarProductsApi,
    SuggestionsApi,
    TrendingApi,
)

urlpatterns = [
    path("products/", ProductSearchApi.as_view(), name="products"),
    path("suggestions/", SuggestionsApi.as_view(), name="suggestions"),
    path("staff/queries/", QueryStatsApi.as_view(), name="staff-queries"),
    path(
        "recommendations/products/<uuid:product_id>/bought-together/",
        BoughtTogetherApi.as_view(),
        name="bought-together",
    ),
    path(
        "recommendations/products/<uuid:product_id>/similar/",
        SimilarProductsApi.as_view(),
        name="similar",
    ),
    path("recommendations/trending/", TrendingApi.as_view(), name="trending"),
    path("recommendations/for-you/", ForYouApi.as_view(), name="for-you"),
]
