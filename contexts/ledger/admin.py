"""Admin of the ledger, read-only everywhere.

* ``/admin/`` (staff): postings, entries, and the platform's totals.
* ``/vendor-admin/`` (vendors): the vendor's own postings (its statement).

The postings changelist shows, above the list, the commission earned (net of refund
reversals), the gross and the vendors' earnings per currency and month for whatever the
filters and the date hierarchy select: pick a year, a month or a day to get that period's
totals.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from bazaar_platform.vendor_admin import VendorScopedAdmin, vendor_admin_site
from contexts.ledger.models import Entry, Posting
from contexts.ledger.selectors import platform_totals


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class EntryInline(admin.TabularInline):
    model = Entry
    extra = 0
    fields = ("kind", "account", "amount_minor", "currency")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "kind",
        "vendor_id",
        "vendor_order_id",
        "currency",
        "gross_minor",
        "commission_minor",
        "earnings_minor",
        "commission_rate_bp",
    )
    list_filter = ("kind", "currency")
    search_fields = ("=vendor_id", "=vendor_order_id", "=order_id", "=refund_id", "posting_key")
    date_hierarchy = "occurred_at"
    inlines = (EntryInline,)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context is not None and "cl" in context:
            context["platform_totals"] = platform_totals(postings=context["cl"].queryset)
        return response


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "kind", "account", "amount_minor", "currency", "vendor_id")
    list_filter = ("kind", "account", "currency")
    search_fields = ("=vendor_id",)
    date_hierarchy = "occurred_at"
    list_select_related = ("posting",)


@admin.register(Posting, site=vendor_admin_site)
class VendorPostingAdmin(VendorScopedAdmin):
    """A vendor's statement: its own postings only, never editable by anyone."""

    vendor_lookup = "vendor_id"
    add_roles = frozenset()
    change_roles = frozenset()
    delete_roles = frozenset()
    list_display = (
        "occurred_at",
        "kind",
        "vendor_order_id",
        "currency",
        "gross_minor",
        "commission_minor",
        "earnings_minor",
        "commission_rate_bp",
    )
    list_filter = ("kind", "currency")
    date_hierarchy = "occurred_at"
    fields = (*list_display, "order_id", "store_id", "refund_id", "reason")
    readonly_fields = fields
