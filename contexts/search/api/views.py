"""The search API: product search with filters, sorting and facets; suggestions; the
query log for staff. One view per operation; views parse, call a selector, render."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.errors import NotFoundError
from bazaar_platform.api.views import BazaarAPIView
from bazaar_platform.tokens.permissions import IsAdmin, principal_user_id
from contexts.search import selectors, services
from contexts.search.api.serializers import (
    QueryStatOutput,
    QueryStatsInput,
    RecommendationOutput,
    RecommendationQueryInput,
    SearchPageOutput,
    SearchQueryInput,
    SuggestionsOutput,
    SuggestQueryInput,
)
from contexts.search.selectors import recommendations, response_cache

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
    def get(self, request: Request) -> HttpResponseBase:
        params = SearchQueryInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        q = data.get("q") or ""

        def count_cached_search(body: Any) -> None:  # a hit still counts in the query log
            if q:
                services.query_record(q=q, result_count=body["total"])

        return response_cache.search_cache.respond(
            request, lambda: (self._search(request, data), None), on_hit=count_cached_search
        )

    def _search(self, request: Request, data: dict[str, Any]) -> Response:
        q = data.get("q") or ""
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
            q=q,
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


# --- recommendations -------------------------------------------------------------------


def _recommendations(kind: str, ids: list[UUID]) -> Response:
    docs = recommendations.recommendation_documents(ids)
    return Response(RecommendationOutput({"kind": kind, "results": docs}).data)


def _limit(request: Request) -> int:
    params = RecommendationQueryInput(data=request.query_params)
    params.is_valid(raise_exception=True)
    return int(params.validated_data["limit"])


def _published(product_id: UUID) -> None:
    if not selectors.published_documents().filter(product_id=product_id).exists():
        raise NotFoundError(f"No published product has the id {product_id}.")


class _RecommendationApi(BazaarAPIView):
    permission_classes = (AllowAny,)
    extra_query_params = frozenset(RecommendationQueryInput().fields)


class BoughtTogetherApi(_RecommendationApi):
    """Products frequently bought together with a product."""

    @extend_schema(
        operation_id="search_recommendations_bought_together",
        summary="Frequently bought together",
        description=(
            "Products most often in the same paid order as this one (then bought by the "
            "same customers); topped up with similar products, then trending ones."
        ),
        parameters=[RecommendationQueryInput],
        responses={200: RecommendationOutput},
    )
    def get(self, request: Request, product_id: UUID) -> Response:
        limit = _limit(request)
        _published(product_id)
        ids = recommendations.bought_together_ids(product_id=product_id, limit=limit)
        return _recommendations("bought_together", ids)


class SimilarProductsApi(_RecommendationApi):
    """Products similar to a product."""

    @extend_schema(
        operation_id="search_recommendations_similar",
        summary="Similar products",
        description=(
            "Same category (or its parent), ranked by shared attribute values, brand and "
            "name words; topped up with trending products."
        ),
        parameters=[RecommendationQueryInput],
        responses={200: RecommendationOutput},
    )
    def get(self, request: Request, product_id: UUID) -> Response:
        limit = _limit(request)
        _published(product_id)
        return _recommendations(
            "similar", recommendations.similar_ids(product_id=product_id, limit=limit)
        )


class TrendingApi(_RecommendationApi):
    """What sells fastest now."""

    @extend_schema(
        operation_id="search_recommendations_trending",
        summary="Trending products",
        description=(
            "Units sold in paid orders over the last 30 days, the last 7 counting three "
            "times; topped up with best sellers, then other published products."
        ),
        parameters=[RecommendationQueryInput],
        responses={200: RecommendationOutput},
    )
    def get(self, request: Request) -> Response:
        return _recommendations("trending", recommendations.trending_ids(limit=_limit(request)))


class ForYouApi(BazaarAPIView):
    """Recommendations for the signed-in customer."""

    permission_classes = (IsAuthenticated,)
    extra_query_params = frozenset(RecommendationQueryInput().fields)

    @extend_schema(
        operation_id="search_recommendations_for_you",
        summary="Recommended for you",
        description=(
            "Products bought with what you bought (recent purchases weigh more), without "
            "what you already have; trending products when there is no history yet."
        ),
        parameters=[RecommendationQueryInput],
        responses={200: RecommendationOutput},
    )
    def get(self, request: Request) -> Response:
        user_id = principal_user_id(request.user)
        if user_id is None:
            raise NotAuthenticated()
        ids = recommendations.for_you_ids(customer_user_id=user_id, limit=_limit(request))
        return _recommendations("for_you", ids)
