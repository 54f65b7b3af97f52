"""Admin of the subscriptions context.

* ``/admin/`` (staff): plans are edited here (prices per currency inline; the model's
  validators refuse negative or absurd prices and limits); subscriptions, charges and
  usage are shown, and staff can cancel a subscription at once.
* ``/vendor-admin/`` (vendors): the vendor's own subscriptions and charges, read-only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.vendor_admin import VendorScopedAdmin, vendor_admin_site
from contexts.subscriptions.models import Charge, Plan, PlanPrice, Subscription, VendorUsage
from contexts.subscriptions.services.lifecycle import subscription_cancel


class PlanPriceInline(admin.TabularInline):
    model = PlanPrice
    extra = 1
    min_num = 1


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "billing_period",
        "trial_days",
        "max_products",
        "max_stores",
        "max_staff_seats",
        "api_requests_per_minute",
        "commission_rate_bp",
        "is_active",
    )
    list_filter = ("is_active", "billing_period")
    inlines = (PlanPriceInline,)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # deactivate instead: subscriptions point at their plan


class ChargeInline(admin.TabularInline):
    model = Charge
    extra = 0
    fields = ("kind", "status", "amount_minor", "currency", "plan", "payment_id", "paid_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.action(description="Cancel the selected subscriptions now (staff)")
def cancel_now(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
    for sub in queryset:
        try:
            subscription_cancel(subscription_id=sub.pk, reason="staff")
        except ApplicationError as exc:
            messages.warning(request, f"{sub.pk}: {exc.message}")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("id", "vendor_id", "plan", "status", "current_period_end", "created_at")
    list_filter = ("status", "plan")
    search_fields = ("id", "vendor_id", "billing_email")
    inlines = (ChargeInline,)
    actions = (cancel_now,)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [f.name for f in Subscription._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Charge)
class ChargeAdmin(admin.ModelAdmin):
    list_display = ("id", "subscription", "kind", "status", "amount_minor", "currency", "paid_at")
    list_filter = ("kind", "status")
    search_fields = ("id", "payment_id", "subscription__vendor_id")

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [f.name for f in Charge._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(VendorUsage)
class VendorUsageAdmin(admin.ModelAdmin):
    list_display = ("vendor_id", "resource", "count", "as_of")
    list_filter = ("resource",)
    search_fields = ("vendor_id",)


# --- vendor admin (read-only) -------------------------------------------------------------------
class _ReadOnlyVendorAdmin(VendorScopedAdmin):
    add_roles = frozenset()
    change_roles = frozenset()
    delete_roles = frozenset()

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.fields or ()


@admin.register(Subscription, site=vendor_admin_site)
class VendorSubscriptionAdmin(_ReadOnlyVendorAdmin):
    vendor_lookup = "vendor_id"
    list_display = ("plan", "status", "amount_minor", "currency", "current_period_end")
    fields = (
        "plan",
        "status",
        "amount_minor",
        "currency",
        "current_period_start",
        "current_period_end",
        "grace_until",
        "cancel_at_period_end",
        "scheduled_plan",
    )


@admin.register(Charge, site=vendor_admin_site)
class VendorChargeAdmin(_ReadOnlyVendorAdmin):
    vendor_lookup = "subscription__vendor_id"
    list_display = ("kind", "status", "amount_minor", "currency", "pay_link", "created_at")
    fields = ("kind", "status", "amount_minor", "currency", "plan", "paid_at", "payment_url")

    @admin.display(description="Pay")
    def pay_link(self, charge: Charge) -> str:
        if charge.status == "open" and charge.payment_url:
            return format_html('<a href="{}">pay</a>', charge.payment_url)
        return "—"
