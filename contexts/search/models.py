"""The search context's own read model, built only from other contexts' events.

Nothing here is a source of truth: every row can be thrown away and rebuilt by replaying
the event log (``manage.py reindex``). Other contexts' ids are plain UUIDs.

The PostgreSQL-only indexes (GIN over ``search_vector``, trigram GIN over ``name`` and
``SearchTerm.term``) are created by a migration that skips other databases, so the
embedded SQLite profile migrates the same models without them.
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class SearchDocument(models.Model):
    """One product as search sees it: catalogue text and taxonomy, the best offer across
    stores, and its rating. A row may exist before the product is published (a listing
    event arrived first); only ``is_published`` rows are ever returned."""

    product_id = models.UUIDField(primary_key=True)
    slug = models.CharField(max_length=220, blank=True)
    name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    brand_name = models.CharField(max_length=200, blank=True)
    brand_slug = models.CharField(max_length=220, blank=True, db_index=True)
    category_slug = models.CharField(max_length=220, blank=True, db_index=True)
    category_name = models.CharField(max_length=200, blank=True)
    # Root first, as the catalogue sends it.
    category_path = models.JSONField(default=list, blank=True)
    # "/electronics/phones/": "in this category or below" is one portable LIKE.
    category_path_text = models.CharField(max_length=1000, blank=True)
    # The category path's names, space-separated: weighted like the brand.
    category_text = models.CharField(max_length=1000, blank=True)
    product_type = models.CharField(max_length=120, blank=True)
    attribute_values = models.JSONField(default=dict, blank=True)
    # The attribute values as words (an author, a material): the lowest text weight.
    attribute_text = models.TextField(blank=True)
    # "|colour=red|storage_gb=128|": attribute filters as one portable LIKE per value.
    facet_terms = models.TextField(blank=True)
    # "colour=Black\x1ecolour=Blue\x1estorage_gb=128": every attribute value as facets
    # label it (as the jsonb renders it as text), one per record separator. Counting
    # facets splits this instead of expanding the jsonb: cheaper, and estimated right by
    # the planner (a jsonb expansion is guessed at 100 x 100 rows per document).
    facet_labels = models.TextField(blank=True)
    skus = models.TextField(blank=True)
    # " acme phone x1 electronics phones ... ": folded words, each after a space, so the
    # engine without full-text search (SQLite) matches word starts with one LIKE.
    words_text = models.TextField(blank=True)
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    # The catalogue's updated_at of the snapshot applied: older snapshots are ignored.
    source_updated_at = models.DateTimeField(null=True, blank=True)

    best_price_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    in_stock = models.BooleanField(default=False)
    offer_count = models.PositiveIntegerField(default=0)

    rating_average = models.FloatField(null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    # When the applied rating summary was published: an older one arriving late is ignored.
    rating_at = models.DateTimeField(null=True, blank=True)

    # Units sold in paid orders: the popularity signal for ranking and sorting.
    units_sold = models.PositiveIntegerField(default=0)

    search_vector = SearchVectorField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["is_published", "-published_at"], name="search_doc_newest"),
            models.Index(fields=["is_published", "best_price_minor"], name="search_doc_price"),
        ]

    def __str__(self) -> str:
        return self.name or str(self.product_id)


class SearchListing(models.Model):
    """One vendor listing (offer) of a product: what best price and availability fold."""

    listing_id = models.UUIDField(primary_key=True)
    product_id = models.UUIDField(db_index=True)
    variant_id = models.UUIDField()
    store_id = models.UUIDField()
    price_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    available = models.IntegerField(default=0)
    is_purchasable = models.BooleanField(default=False)
    source_updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.listing_id)


class SearchTerm(models.Model):
    """The vocabulary of published documents (words of names, brands and categories):
    what typo correction and autocomplete match against. ``documents`` counts the
    published documents using the word."""

    term = models.CharField(max_length=64, primary_key=True)
    documents = models.IntegerField(default=0)

    def __str__(self) -> str:
        return self.term


class SearchQueryStat(models.Model):
    """Aggregated searches per normalised query: no user, session, IP or time of an
    individual search is kept, and e-mail addresses or long digit runs are masked before
    the query is stored."""

    query = models.CharField(max_length=200, unique=True)
    searches = models.PositiveIntegerField(default=0)
    zero_result_searches = models.PositiveIntegerField(default=0)
    last_result_count = models.PositiveIntegerField(default=0)
    first_searched_at = models.DateTimeField()
    last_searched_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "search query"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["-searches"], name="search_query_popular"),
        ]

    def __str__(self) -> str:
        return self.query


class PurchaseLine(models.Model):
    """A product a customer paid for, from ``orders.order_paid``: the recommendations'
    raw material. ``customer_user_id`` is the auth context's opaque id (no name, no
    e-mail); it is what "for you" needs."""

    order_id = models.UUIDField()
    product_id = models.UUIDField(db_index=True)
    customer_user_id = models.UUIDField(db_index=True)
    quantity = models.PositiveIntegerField()
    paid_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["order_id", "product_id"], name="search_purchase_once")
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.product_id}"


class CoPurchase(models.Model):
    """How often ``other_product_id`` was bought with ``product_id``: in the same order
    (``orders``) and by the same customer in any order (``customers``). Kept in both
    directions so "bought with X" is one indexed range."""

    product_id = models.UUIDField()
    other_product_id = models.UUIDField()
    orders = models.PositiveIntegerField(default=0)
    customers = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["product_id", "other_product_id"], name="search_copurchase_pair"
            )
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["product_id", "-orders", "-customers"], name="search_copurchase_top"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id} + {self.other_product_id}"
