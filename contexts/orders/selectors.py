"""Reads of the orders context. Every customer read is filtered by the customer, every
vendor read by the vendor: there is no read that could leak another party's orders."""

from __future__ import annotations

from uuid import UUID

from django.db.models import F, Prefetch, QuerySet

from contexts.orders.models import (
    CustomerOrder,
    OrderLine,
    ReturnRequest,
    VendorOrder,
    VendorOrderStatus,
)


def order_list_for_customer(
    *, customer_user_id: UUID, status: str | None = None
) -> QuerySet[CustomerOrder]:
    queryset = CustomerOrder.objects.filter(customer_user_id=customer_user_id).prefetch_related(
        Prefetch("vendor_orders", queryset=VendorOrder.objects.prefetch_related("lines", "returns"))
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "id")


def order_get_for_customer(*, customer_user_id: UUID, order_id: UUID) -> CustomerOrder | None:
    return order_list_for_customer(customer_user_id=customer_user_id).filter(pk=order_id).first()


def vendor_order_list_for_vendor(
    *, vendor_id: UUID, status: str | None = None
) -> QuerySet[VendorOrder]:
    queryset = (
        VendorOrder.objects.filter(vendor_id=vendor_id)
        .select_related("order")
        .prefetch_related("lines", "returns")
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "id")


def vendor_order_get_for_vendor(*, vendor_id: UUID, vendor_order_id: UUID) -> VendorOrder | None:
    return vendor_order_list_for_vendor(vendor_id=vendor_id).filter(pk=vendor_order_id).first()


def return_list_for_vendor(
    *, vendor_id: UUID, status: str | None = None
) -> QuerySet[ReturnRequest]:
    queryset = ReturnRequest.objects.filter(vendor_id=vendor_id).prefetch_related("lines")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "id")


def delivered_purchase_exists(
    *,
    customer_user_id: UUID,
    product_id: UUID | None = None,
    store_id: UUID | None = None,
    vendor_id: UUID | None = None,
) -> bool:
    lines = OrderLine.objects.filter(
        vendor_order__customer_user_id=customer_user_id,
        vendor_order__status=VendorOrderStatus.DELIVERED,
        returned_quantity__lt=F("quantity"),
    )
    if product_id is not None:
        lines = lines.filter(product_id=product_id)
    if store_id is not None:
        lines = lines.filter(store_id=store_id)
    if vendor_id is not None:
        lines = lines.filter(vendor_id=vendor_id)
    return lines.exists()
