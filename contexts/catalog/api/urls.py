"""Mounted at ``/api/v1/catalog/`` by ``config/urls.py``."""

from __future__ import annotations

from django.urls import path

from contexts.catalog.api.views import (
    BrandListApi,
    CategoryTreeApi,
    ProductDetailApi,
    ProductListApi,
)

urlpatterns = [
    path("categories/", CategoryTreeApi.as_view(), name="category-tree"),
    path("brands/", BrandListApi.as_view(), name="brand-list"),
    path("products/", ProductListApi.as_view(), name="product-list"),
    path("products/<slug:slug>/", ProductDetailApi.as_view(), name="product-detail"),
]
