"""Mounted by config/urls.py at /api/v1/vendors/ (namespace "vendors")."""

from __future__ import annotations

from django.urls import URLPattern, path

from contexts.vendors.api import views as v

urlpatterns: list[URLPattern] = [
    path("register", v.VendorRegisterApi.as_view(), name="register"),
    path("me", v.VendorMeApi.as_view(), name="me"),
    path("me/update", v.VendorUpdateApi.as_view(), name="me-update"),
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
