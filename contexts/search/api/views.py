"""The search API: product search with filters, sorting and facets; suggestions; the
query log for staff. One view per operation; views parse, call a selector, render."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.views import BazaarAPIView
from bazaar_platform.tokens.permissions import IsAdmin
from contexts.search import selectors, services
from contexts.search.api.serializers import (
    QueryStatOutput,
    QueryStatsInput,
    SearchPageOutput,
    SearchQueryInput,
    SuggestionsOutput,
    SuggestQueryInput,
)

ATTRIBUTE_PARAM = re.compile(r"^attr_([a-z][a-z0-9]*(?:_[a-z0-9]+)*)$")
MAX_ATTRIBUTE_VALUES = 20


class ProductSearchApi(BazaarAPIView):
    """Search published products."""

    permission_classes = (AllowAny,)
    extra_query_params = frozenset(SearchQueryInput().fields)

    def allowed_query_params(self) -> set[str]:
        # attribute filters are open-ended: attr_<code> for any attribute code
        allowed = super().allowed_query_params()
        return allowed | {name for name in self.request.query_params if ATTRIBUTE_PARAM.match(name)}

    @extend_schema(
        operation_id="search_products",
        summary="Search products, with facets",
        description=(
            "Full-text search over the published catalogue with filters (`category`, "
            "`brand`, `attr_<code>=<value>` repeatable for any-of, `price_min`/`price_max` "
            "in minor units, `rating_min`, `in_stock`), a sort, and facet counts of the "
            "whole result set. An empty `q` browses. Unknown categories, brands and "
            "attribute codes are a 400; a query nothing matches may come back corrected "
            "(`corrected_query`)."
        ),
        parameters=[
            SearchQueryInput,
            OpenApiParameter(
                "attr_<code>",
                OpenApiTypes.STR,
                description="An attribute value, e.g. attr_colour=black (repeatable).",
            ),
        ],
        responses={200: SearchPageOutput},
    )
    def get(self, request: Request) -> Response:
        params = SearchQueryInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        attributes: dict[str, list[str]] = {}
        for name in request.query_params:
            if match := ATTRIBUTE_PARAM.match(name):
                values = [v for v in request.query_params.getlist(name) if v.strip()]
                if not values or len(values) > MAX_ATTRIBUTE_VALUES:
                    raise ValidationError(
                        {name: [f"Give 1 to {MAX_ATTRIBUTE_VALUES} non-empty values."]}
                    )
                if any(len(v) > 100 for v in values):
                    raise ValidationError({name: ["A value is at most 100 characters."]})
                attributes[match.group(1)] = values
        filters = selectors.SearchFilters(
            q=data.get("q") or "",
            category=data.get("category"),
            brands=tuple(data.get("brand") or ()),
            attributes=attributes,
            price_min=data.get("price_min"),
            price_max=data.get("price_max"),
            rating_min=data.get("rating_min"),
            in_stock=data.get("in_stock"),
            sort=data["sort"],
        )
        unknown = selectors.unknown_filters(filters)
        if unknown:
            raise ValidationError(unknown, code="unknown_filter")
        page = selectors.document_search(
            filters=filters, offset=data["offset"], limit=data["limit"]
        )
        if filters.q:
            services.query_record(q=filters.q, result_count=page.total)
        body: dict[str, Any] = {
            "query": page.query,
            "corrected_query": page.corrected_query,
            "total": page.total,
            "limit": data["limit"],
            "offset": data["offset"],
            "results": page.results,
            "facets": page.facets,
        }
        return Response(SearchPageOutput(body).data)


class SuggestionsApi(BazaarAPIView):
    """Autocomplete while typing."""

    permission_classes = (AllowAny,)
    extra_query_params = frozenset(SuggestQueryInput().fields)

    @extend_schema(
        operation_id="search_suggestions",
        summary="Suggestions for a partly typed query",
        description=(
            "Completions of the last word from the catalogue's vocabulary, products whose "
            "words start with the typed ones, and popular past queries that start the same "
            "way and found something."
        ),
        parameters=[SuggestQueryInput],
        responses={200: SuggestionsOutput},
    )
    def get(self, request: Request) -> Response:
        params = SuggestQueryInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        result = selectors.suggestions(
            q=params.validated_data["q"], limit=params.validated_data["limit"]
        )
        return Response(SuggestionsOutput(result).data)


class QueryStatsApi(BazaarAPIView):
    """Staff: what customers search for, and what finds nothing."""

    permission_classes = (IsAdmin,)
    extra_query_params = frozenset(QueryStatsInput().fields)

    @extend_schema(
        operation_id="search_staff_query_stats",
        summary="Popular and zero-result queries",
        description=(
            "Aggregated counts per normalised query (no user, session or address is kept; "
            "e-mail addresses and long numbers are masked). `kind=zero_results` lists the "
            "queries that found nothing, most frequent first."
        ),
        parameters=[QueryStatsInput],
        responses={200: QueryStatOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        params = QueryStatsInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = selectors.query_stats(
            zero_results_only=params.validated_data["kind"] == "zero_results",
            limit=params.validated_data["limit"],
        )
        return Response(QueryStatOutput(rows, many=True).data)
