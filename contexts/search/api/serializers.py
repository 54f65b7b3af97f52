"""Input and output shapes of the search API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from contexts.search.selectors import MAX_QUERY_LENGTH, SORTS


class SearchQueryInput(serializers.Serializer[Any]):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY_LENGTH,
        trim_whitespace=True,
        help_text=(
            'Free text in web-search syntax: `"exact phrase"`, `-excluded`, `or`. The last '
            "word also matches as a prefix; typos are corrected when nothing matches. "
            "Operators that do not parse are read as plain words."
        ),
    )
    category = serializers.SlugField(
        required=False, max_length=220, help_text="Category slug; includes its descendants."
    )
    brand = serializers.ListField(
        child=serializers.SlugField(max_length=220),
        required=False,
        max_length=20,
        help_text="Brand slug; repeat for several (any of them).",
    )
    price_min = serializers.IntegerField(
        required=False, min_value=0, help_text="Best price at least this, in minor units."
    )
    price_max = serializers.IntegerField(
        required=False, min_value=0, help_text="Best price at most this, in minor units."
    )
    rating_min = serializers.FloatField(
        required=False, min_value=0, max_value=5, help_text="Average rating at least this."
    )
    in_stock = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only products in stock."
    )
    sort = serializers.ChoiceField(
        choices=SORTS,
        required=False,
        default="relevance",
        help_text="relevance (default; by name without `q`), newest, price_asc, price_desc, "
        "rating, popularity, name.",
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=10_000, default=0)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        low, high = attrs.get("price_min"), attrs.get("price_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"price_min": ["Must not exceed price_max."]})
        return attrs


class SuggestQueryInput(serializers.Serializer[Any]):
    q = serializers.CharField(
        max_length=MAX_QUERY_LENGTH,
        allow_blank=True,
        trim_whitespace=True,
        help_text="Typed so far.",
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=20, default=8)


class QueryStatsInput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=("popular", "zero_results"), required=False, default="popular"
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)


class FacetValueOutput(serializers.Serializer[Any]):
    value = serializers.CharField(help_text="What to pass back as the filter.")
    name = serializers.CharField(source="label", help_text="What to show.")
    count = serializers.IntegerField()


class FacetsOutput(serializers.Serializer[Any]):
    categories = FacetValueOutput(many=True)
    brands = FacetValueOutput(many=True)
    attributes = serializers.DictField(
        child=FacetValueOutput(many=True), help_text="By attribute code: filter with attr_<code>."
    )
    price = FacetValueOutput(many=True, help_text="Bands of the best price, in minor units.")
    rating = FacetValueOutput(many=True)
    in_stock = FacetValueOutput(many=True)


class SearchHitOutput(serializers.Serializer[Any]):
    product_id = serializers.UUIDField()
    slug = serializers.CharField()
    name = serializers.CharField()
    brand = serializers.CharField(source="brand_name")
    brand_slug = serializers.CharField()
    category = serializers.CharField(source="category_name")
    category_slug = serializers.CharField()
    best_price_minor = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField()
    in_stock = serializers.BooleanField()
    offer_count = serializers.IntegerField()
    rating_average = serializers.FloatField(allow_null=True)
    rating_count = serializers.IntegerField()


class SearchPageOutput(serializers.Serializer[Any]):
    query = serializers.CharField()
    corrected_query = serializers.CharField(
        allow_null=True, help_text="Set when nothing matched the query as typed."
    )
    total = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    results = SearchHitOutput(many=True)
    facets = FacetsOutput()


class ProductSuggestionOutput(serializers.Serializer[Any]):
    product_id = serializers.UUIDField()
    slug = serializers.CharField()
    name = serializers.CharField()


class SuggestionsOutput(serializers.Serializer[Any]):
    completions = serializers.ListField(child=serializers.CharField())
    products = ProductSuggestionOutput(many=True)
    popular_queries = serializers.ListField(child=serializers.CharField())


class QueryStatOutput(serializers.Serializer[Any]):
    query = serializers.CharField()
    searches = serializers.IntegerField()
    zero_result_searches = serializers.IntegerField()
    last_result_count = serializers.IntegerField()
    last_searched_at = serializers.DateTimeField()


class RecommendationQueryInput(serializers.Serializer[Any]):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)


class RecommendationOutput(serializers.Serializer[Any]):
    kind = serializers.CharField(
        help_text="bought_together | similar | trending | for_you (fallbacks included)."
    )
    results = SearchHitOutput(many=True)
