"""Mounted by config/urls.py at /api/v1/orders/ (namespace "orders")."""

from __future__ import annotations

from django.urls import URLPattern, path

from contexts.orders.api import views as v

urlpatterns: list[URLPattern] = [
    path("cart", v.CartDetailApi.as_view(), name="cart"),
    path("cart/lines", v.CartLineAddApi.as_view(), name="cart-line-add"),
    path(
        "cart/lines/<uuid:listing_id>/update",
        v.CartLineUpdateApi.as_view(),
        name="cart-line-update",
    ),
    path(
        "cart/lines/<uuid:listing_id>/remove",
        v.CartLineRemoveApi.as_view(),
        name="cart-line-remove",
    ),
    path("cart/clear", v.CartClearApi.as_view(), name="cart-clear"),
    path("checkout", v.CheckoutApi.as_view(), name="checkout"),
    path("mine", v.OrderListApi.as_view(), name="order-list"),
    path("mine/<uuid:order_id>", v.OrderDetailApi.as_view(), name="order-detail"),
    path("mine/<uuid:order_id>/cancel", v.OrderCancelApi.as_view(), name="order-cancel"),
    path(
        "mine/<uuid:order_id>/vendor-orders/<uuid:vendor_order_id>/returns",
        v.ReturnRequestApi.as_view(),
        name="return-request",
    ),
    path("vendor/orders", v.VendorOrderListApi.as_view(), name="vendor-order-list"),
    path(
        "vendor/orders/<uuid:vendor_order_id>",
        v.VendorOrderDetailApi.as_view(),
        name="vendor-order-detail",
    ),
    path(
        "vendor/orders/<uuid:vendor_order_id>/accept",
        v.VendorOrderAcceptApi.as_view(),
        name="vendor-order-accept",
    ),
    path(
        "vendor/orders/<uuid:vendor_order_id>/pack",
        v.VendorOrderPackApi.as_view(),
        name="vendor-order-pack",
    ),
    path(
        "vendor/orders/<uuid:vendor_order_id>/ship",
        v.VendorOrderShipApi.as_view(),
        name="vendor-order-ship",
    ),
    path(
        "vendor/orders/<uuid:vendor_order_id>/deliver",
        v.VendorOrderDeliverApi.as_view(),
        name="vendor-order-deliver",
    ),
    path("vendor/returns", v.VendorReturnListApi.as_view(), name="vendor-return-list"),
    path(
        "vendor/returns/<uuid:return_id>/approve",
        v.VendorReturnApproveApi.as_view(),
        name="vendor-return-approve",
    ),
    path(
        "vendor/returns/<uuid:return_id>/reject",
        v.VendorReturnRejectApi.as_view(),
        name="vendor-return-reject",
    ),
]
