"""Staff admin: the query log (popular and zero-result queries) and the documents,
read-only (the read model is rebuilt from events, never edited by hand)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from contexts.search.models import SearchDocument, SearchQueryStat


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ZeroResultsFilter(admin.SimpleListFilter):
    title = "results"
    parameter_name = "results"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("zero", "Found nothing at least once"), ("never", "Always found something")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "zero":
            return queryset.filter(zero_result_searches__gt=0).order_by("-zero_result_searches")
        if self.value() == "never":
            return queryset.filter(zero_result_searches=0)
        return queryset


@admin.register(SearchQueryStat)
class SearchQueryStatAdmin(ReadOnlyAdmin):
    list_display = (
        "query",
        "searches",
        "zero_result_searches",
        "last_result_count",
        "last_searched_at",
    )
    list_filter = (ZeroResultsFilter,)
    search_fields = ("query",)
    ordering = ("-searches", "query")


@admin.register(SearchDocument)
class SearchDocumentAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "brand_name",
        "category_name",
        "is_published",
        "best_price_minor",
        "currency",
        "in_stock",
        "rating_average",
        "units_sold",
    )
    list_filter = ("is_published", "in_stock", "category_name")
    search_fields = ("name", "slug", "brand_name")
    exclude = ("search_vector",)
