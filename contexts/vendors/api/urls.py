"""Mounted by config/urls.py at /api/v1/vendors/ (namespace "vendors")."""

from __future__ import annotations

from django.urls import URLPattern, path

from contexts.vendors.api import views as v

urlpatterns: list[URLPattern] = [
    path("register", v.VendorRegisterApi.as_view(), name="register"),
    path("me", v.VendorMeApi.as_view(), name="me"),
    path("me/update", v.VendorUpdateApi.as_view(), name="me-update"),
    path("storefronts/<slug:slug>", v.StorefrontApi.as_view(), name="storefront"),
    path("stores", v.StoreListApi.as_view(), name="store-list"),
    path("stores/create", v.StoreCreateApi.as_view(), name="store-create"),
    path("stores/<uuid:store_id>", v.StoreDetailApi.as_view(), name="store-detail"),
    path("stores/<uuid:store_id>/update", v.StoreUpdateApi.as_view(), name="store-update"),
    path("stores/<uuid:store_id>/delete", v.StoreDeleteApi.as_view(), name="store-delete"),
    path("stores/<uuid:store_id>/logo", v.StoreLogoUploadApi.as_view(), name="store-logo"),
    path(
        "stores/<uuid:store_id>/logo/delete",
        v.StoreLogoDeleteApi.as_view(),
        name="store-logo-delete",
    ),
    path("listings", v.ListingListApi.as_view(), name="listing-list"),
    path("listings/create", v.ListingCreateApi.as_view(), name="listing-create"),
    path("listings/<uuid:listing_id>", v.ListingDetailApi.as_view(), name="listing-detail"),
    path("listings/<uuid:listing_id>/update", v.ListingUpdateApi.as_view(), name="listing-update"),
    path("listings/<uuid:listing_id>/delete", v.ListingDeleteApi.as_view(), name="listing-delete"),
    path(
        "listings/<uuid:listing_id>/stock/receive",
        v.StockReceiveApi.as_view(),
        name="stock-receive",
    ),
    path(
        "listings/<uuid:listing_id>/stock/adjust", v.StockAdjustApi.as_view(), name="stock-adjust"
    ),
    path("listings/<uuid:listing_id>/movements", v.MovementListApi.as_view(), name="movement-list"),
    path("stock/import", v.StockImportApi.as_view(), name="stock-import"),
    path("staff", v.StaffListApi.as_view(), name="staff-list"),
    path("staff/add", v.StaffAddApi.as_view(), name="staff-add"),
    path("staff/<uuid:member_id>/update", v.StaffRoleChangeApi.as_view(), name="staff-update"),
    path("staff/<uuid:member_id>/remove", v.StaffRemoveApi.as_view(), name="staff-remove"),
    # platform administrators
    path("admin/vendors", v.VendorListApi.as_view(), name="admin-vendor-list"),
    path(
        "admin/vendors/<uuid:vendor_id>/suspend",
        v.VendorSuspendApi.as_view(),
        name="admin-vendor-suspend",
    ),
    path(
        "admin/vendors/<uuid:vendor_id>/reinstate",
        v.VendorReinstateApi.as_view(),
        name="admin-vendor-reinstate",
    ),
]
