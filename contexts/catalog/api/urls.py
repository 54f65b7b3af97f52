"""Mounted at ``/api/v1/catalog/`` by ``config/urls.py``."""

from __future__ import annotations

from django.urls import path

from contexts.catalog.api.views import (
    BrandListApi,
    CategoryTreeApi,
    ProductCreateApi,
    ProductDetailApi,
    ProductListApi,
    ProductPublishApi,
    ProductsMergeApi,
    ProductUnpublishApi,
    ProductUpdateApi,
    VariantCreateApi,
)

urlpatterns = [
    path("categories/", CategoryTreeApi.as_view(), name="category-tree"),
    path("brands/", BrandListApi.as_view(), name="brand-list"),
    path("products/", ProductListApi.as_view(), name="product-list"),
    path("products/<slug:slug>/", ProductDetailApi.as_view(), name="product-detail"),
    # staff (role "admin")
    path("staff/products/", ProductCreateApi.as_view(), name="staff-product-create"),
    path("staff/products/merge/", ProductsMergeApi.as_view(), name="staff-products-merge"),
    path(
        "staff/products/<uuid:product_id>/",
        ProductUpdateApi.as_view(),
        name="staff-product-update",
    ),
    path(
        "staff/products/<uuid:product_id>/publish/",
        ProductPublishApi.as_view(),
        name="staff-product-publish",
    ),
    path(
        "staff/products/<uuid:product_id>/unpublish/",
        ProductUnpublishApi.as_view(),
        name="staff-product-unpublish",
    ),
    path(
        "staff/products/<uuid:product_id>/variants/",
        VariantCreateApi.as_view(),
        name="staff-variant-create",
    ),
]
