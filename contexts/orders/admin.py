"""Admin of the orders context.

* ``/admin/`` (staff): customer orders with their vendor orders and lines, returns and
  refunds, read-only (money moves through the services, never by editing rows); staff
  can cancel selected orders (stock released, paid money refunded).
* ``/vendor-admin/`` (vendors): the vendor's own vendor orders with their lines and the
  shipping address; actions accept, mark packed and mark delivered run the same
  services as the API (shipping needs a carrier and tracking number: the API).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.vendor_admin import (
    MANAGING_ROLES,
    VendorScopedAdmin,
    membership_of,
    vendor_admin_site,
)
from contexts.orders.models import (
    CustomerOrder,
    OrderLine,
    OrderRefund,
    ReturnRequest,
    VendorOrder,
)
from contexts.orders.services import fulfilment
from contexts.orders.services.lifecycle import order_cancel


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class OrderLineInline(_ReadOnly, admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ("title", "sku", "unit_price_minor", "quantity", "returned_quantity", "listing_id")
    readonly_fields = fields


class VendorOrderInline(_ReadOnly, admin.TabularInline):
    model = VendorOrder
    extra = 0
    fields = (
        "id",
        "vendor_id",
        "store_id",
        "status",
        "subtotal_minor",
        "refunded_minor",
        "tracking_number",
    )
    readonly_fields = fields
    show_change_link = True


@admin.action(description="Cancel the selected orders (release stock, refund what was paid)")
def cancel_orders(modeladmin: Any, request: HttpRequest, queryset: QuerySet[CustomerOrder]) -> None:
    done = 0
    for order in queryset:
        try:
            order_cancel(order_id=order.pk, reason="staff")
            done += 1
        except ApplicationError as exc:
            messages.error(request, f"{order.pk}: {exc.message}")
    messages.success(request, f"{done} order(s) cancelled.")


@admin.register(CustomerOrder)
class CustomerOrderAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "id",
        "customer_user_id",
        "status",
        "total_minor",
        "refunded_minor",
        "currency",
        "created_at",
    )
    list_filter = ("status", "currency")
    search_fields = ("id", "customer_user_id", "payment_id")
    date_hierarchy = "created_at"
    inlines = (VendorOrderInline,)
    actions = (cancel_orders,)
    readonly_fields = [f.name for f in CustomerOrder._meta.fields]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_staff)  # the cancel action; every field stays read-only


@admin.register(VendorOrder)
class VendorOrderAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "id",
        "order_id",
        "vendor_id",
        "store_id",
        "status",
        "subtotal_minor",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("id", "order__id", "vendor_id", "store_id", "tracking_number")
    inlines = (OrderLineInline,)
    readonly_fields = [f.name for f in VendorOrder._meta.fields]


@admin.register(ReturnRequest)
class ReturnRequestAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "id",
        "vendor_order_id",
        "status",
        "refund_amount_minor",
        "restock",
        "created_at",
    )
    list_filter = ("status",)
    readonly_fields = [f.name for f in ReturnRequest._meta.fields]


@admin.register(OrderRefund)
class OrderRefundAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "id",
        "vendor_order_id",
        "reason",
        "amount_minor",
        "payment_refund_id",
        "issued_at",
    )
    list_filter = ("reason",)
    readonly_fields = [f.name for f in OrderRefund._meta.fields]


# --- vendor admin ---------------------------------------------------------------------------
def _vendor_step(step: Any, label: str) -> Any:
    def action(modeladmin: Any, request: HttpRequest, queryset: QuerySet[VendorOrder]) -> None:
        membership = membership_of(request)
        if membership is None or membership.role not in MANAGING_ROLES:
            messages.error(request, "Only owners and managers can process orders.")
            return
        done = 0
        for vendor_order in queryset:
            try:
                step(vendor_id=membership.vendor_id, vendor_order_id=vendor_order.pk)
                done += 1
            except ApplicationError as exc:
                messages.error(request, f"{vendor_order.pk}: {exc.message}")
        if done:
            messages.success(request, f"{done} vendor order(s): {label}.")

    action.__name__ = f"vendor_{label.replace(' ', '_')}"
    return admin.action(description=f"{label.capitalize()} the selected orders")(action)


class VendorOrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ("title", "sku", "unit_price_minor", "quantity", "returned_quantity")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(VendorOrder, site=vendor_admin_site)
class VendorSideOrderAdmin(VendorScopedAdmin):
    vendor_lookup = "vendor_id"
    list_display = ("id", "status", "subtotal_minor", "currency", "tracking_number", "created_at")
    list_filter = ("status",)
    fields = (
        "status",
        "store_id",
        "subtotal_minor",
        "refunded_minor",
        "currency",
        "shipping_address",
        "carrier",
        "tracking_number",
        "accepted_at",
        "packed_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
    )
    readonly_fields = fields
    inlines = (VendorOrderLineInline,)
    actions = (
        _vendor_step(fulfilment.vendor_order_accept, "accept"),
        _vendor_step(fulfilment.vendor_order_pack, "mark packed"),
        _vendor_step(fulfilment.vendor_order_deliver, "mark delivered"),
    )

    @admin.display(description="Ship to")
    def shipping_address(self, vendor_order: VendorOrder) -> str:
        address = vendor_order.order.shipping_address
        return ", ".join(
            str(address.get(k, ""))
            for k in ("full_name", "line1", "line2", "postal_code", "city", "country")
            if address.get(k)
        )

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
