"""Reads: the category tree, product lists and details, event snapshots.

Every function here issues a fixed number of queries whatever the size of its result
(lists are built with ``select_related``, subqueries and one prefetch per relation),
so pages of 1 and of 100 products cost the same number of round trips.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import nh3
from django.conf import settings
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.fields.json import KeyTransform

from bazaar_platform.api.errors import ApplicationError, NotFoundError
from bazaar_platform.currencies import is_currency
from contexts.catalog.models import (
    Attribute,
    AttributeValue,
    Brand,
    Category,
    Offer,
    OfferSummary,
    Product,
    ProductImage,
    ProductType,
    Variant,
)

_M = TypeVar("_M", bound=Model)

# --- categories -----------------------------------------------------------------


@dataclass
class CategoryNode:
    id: uuid.UUID
    name: str
    slug: str
    depth: int
    position: int
    updated_at: datetime
    children: list[CategoryNode] = field(default_factory=list)


def category_tree() -> list[CategoryNode]:
    """The whole tree in one query, roots first, siblings by ``position`` then name."""
    nodes: dict[uuid.UUID, CategoryNode] = {}
    parents: dict[uuid.UUID, uuid.UUID | None] = {}
    for row in Category.objects.order_by("depth", "position", "name").values(
        "id", "name", "slug", "depth", "position", "updated_at", "parent_id"
    ):
        nodes[row["id"]] = CategoryNode(
            id=row["id"],
            name=row["name"],
            slug=row["slug"],
            depth=row["depth"],
            position=row["position"],
            updated_at=row["updated_at"],
        )
        parents[row["id"]] = row["parent_id"]
    roots: list[CategoryNode] = []
    for node_id, node in nodes.items():  # depth order: a parent is always seen first
        parent_id = parents[node_id]
        (nodes[parent_id].children if parent_id else roots).append(node)
    return roots


def category_get_by_slug(*, slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()


def category_subtree(*, category: Category) -> QuerySet[Category]:
    """The category and all its descendants: one indexed prefix query on ``path``."""
    return Category.objects.filter(path__startswith=category.path)


def category_paths(*, categories: Iterable[Category]) -> dict[uuid.UUID, list[Category]]:
    """For each category, its ancestors and itself (root first), in one query."""
    categories = list(categories)
    wanted = {a for c in categories for a in c.ancestor_ids}
    known = {c.id: c for c in categories}
    missing = wanted - known.keys()
    if missing:
        known.update({c.id: c for c in Category.objects.filter(id__in=missing)})
    return {c.id: [known[a] for a in c.ancestor_ids if a in known] + [c] for c in categories}


# --- brands ---------------------------------------------------------------------


def brand_list() -> QuerySet[Brand]:
    return Brand.objects.order_by("name", "id")


# --- product list ---------------------------------------------------------------


@dataclass(frozen=True)
class ProductSort:
    """How one ``sort`` value orders the product list.

    ``prepare`` may annotate the queryset first (a sort key that comes from a read model).
    """

    order_by: tuple[Any, ...]
    prepare: Callable[[QuerySet[Product]], QuerySet[Product]] | None = None


# ``price_from`` is annotated on every list row (see ``product_list``): the lowest live
# offer in the requested currency, from the catalogue's offers read model.
PRODUCT_SORTS: dict[str, ProductSort] = {
    "newest": ProductSort(order_by=("-published_at", "-id")),
    "oldest": ProductSort(order_by=("published_at", "id")),
    "name": ProductSort(order_by=("name", "id")),
    "-name": ProductSort(order_by=("-name", "-id")),
    "price": ProductSort(order_by=(F("price_from").asc(nulls_last=True), "id")),
    "-price": ProductSort(order_by=(F("price_from").desc(nulls_last=True), "-id")),
    # Best rated first (more reviews first among equals); products without reviews last.
    # ``Product.rating_average`` / ``rating_count`` are kept from the reviews context's
    # ``reviews.rating_summary_changed`` (``handlers.py``).
    "rating": ProductSort(
        order_by=(F("rating_average").desc(nulls_last=True), "-rating_count", "id")
    ),
    # Worst rated first; products without reviews still last.
    "-rating": ProductSort(
        order_by=(F("rating_average").asc(nulls_last=True), "-rating_count", "id")
    ),
}
DEFAULT_PRODUCT_SORT = "newest"

# Extension point. A sort on another context's data needs a catalogue-owned read model
# fed by that context's events (as ``Offer`` is for the vendors' listings and the rating
# columns for the reviews' aggregates), then an entry in ``PRODUCT_SORTS`` whose
# ``prepare`` annotates the key from it (``Subquery`` on ``product_id``; no join fan-out,
# so the list keeps its constant query count). Until then asking for it is a 400 that
# says why (``RESERVED_PRODUCT_SORTS``), never a silently different order.
RESERVED_PRODUCT_SORTS: dict[str, str] = {}

MAX_SEARCH_TERMS = 8
MAX_ATTRIBUTE_FILTERS = 10
MAX_VALUES_PER_ATTRIBUTE = 20


@dataclass(frozen=True)
class ProductListFilters:
    """Raw browsing filters, as the API received them (slugs and strings)."""

    category: str | None = None
    brands: Sequence[str] = ()
    q: str | None = None
    # attribute code -> accepted values (OR); several codes combine with AND
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    sort: str = DEFAULT_PRODUCT_SORT
    # offers: prices in minor units of ``currency`` (default CATALOG_DEFAULT_CURRENCY)
    min_price: int | None = None
    max_price: int | None = None
    currency: str | None = None
    store: uuid.UUID | None = None
    in_stock: bool = False


def _invalid(name: str, message: str, code: str = "invalid_filter") -> ApplicationError:
    return ApplicationError(message, code=code, fields={name: [message]})


def attribute_alias(code: str) -> str:
    """The queryset alias under which :func:`with_attribute_value` exposes ``code``."""
    return f"attrvalue_{code}"  # codes never contain "__" (see attribute_code_validator)


def with_attribute_value(qs: QuerySet[_M], code: str) -> QuerySet[_M]:
    """Alias ``attributes -> code`` so it can be compared as JSON: ``Q(**{alias: value})``.

    ``filter(**{f"attributes__{code}": v})`` would read a code named like a lookup
    ("contains", "in", "lt") as that lookup; an explicit key transform cannot.
    """
    return qs.alias(**{attribute_alias(code): KeyTransform(code, "attributes")})


def parse_attribute_value(attribute: Attribute, raw: str) -> AttributeValue:
    """A query-string value as the attribute's type; ValueError when it is not one."""
    if "\x00" in raw or len(raw) > 200:  # PostgreSQL refuses NUL; no stored value is longer
        raise ValueError("not a storable value")
    if attribute.kind == Attribute.Kind.NUMBER:
        number = float(raw)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("not a finite number")
        return int(number) if number.is_integer() else number
    if attribute.kind == Attribute.Kind.BOOLEAN:
        lowered = raw.strip().lower()
        if lowered in {"true", "1", "yes"}:
            return True
        if lowered in {"false", "0", "no"}:
            return False
        raise ValueError("not a boolean")
    if attribute.kind == Attribute.Kind.CHOICE and raw not in (attribute.allowed_values or []):
        raise ValueError("not an allowed value")
    return raw


def _attribute_condition(code: str, raw_values: Sequence[str], attributes: list[Attribute]) -> Q:
    """Products whose product, or one active variant, has ``code`` equal to one of the values.

    One code can exist on several product types (with different kinds); each type's
    products are matched against the values parsed for that type's attribute.
    """
    name = f"attr_{code}"
    if len(raw_values) > MAX_VALUES_PER_ATTRIBUTE:
        raise _invalid(name, f"At most {MAX_VALUES_PER_ATTRIBUTE} values per attribute.")
    if not attributes:
        raise _invalid(name, f"No product attribute is called {code!r}.", "unknown_attribute")
    condition = Q(pk__in=[])
    matched_any_type = False
    for attribute in attributes:
        values: list[AttributeValue] = []
        for raw in raw_values:
            try:
                values.append(parse_attribute_value(attribute, raw))
            except ValueError:
                continue
        if not values:
            continue
        matched_any_type = True
        alias = attribute_alias(code)
        value_match = Q(pk__in=[])
        for value in values:
            value_match |= Q(**{alias: value})
        if attribute.scope == Attribute.Scope.VARIANT:
            variants = with_attribute_value(
                Variant.objects.filter(product=OuterRef("pk"), is_active=True), code
            )
            value_match = Q(Exists(variants.filter(value_match)))
        condition |= Q(product_type_id=attribute.product_type_id) & value_match
    if not matched_any_type:
        kinds = sorted({a.get_kind_display().lower() for a in attributes})
        raise _invalid(
            name,
            f"{', '.join(map(repr, raw_values))} is not a valid value for {code!r} "
            f"(expected: {' or '.join(kinds)}).",
            "invalid_attribute_value",
        )
    return condition


def product_list(*, filters: ProductListFilters) -> QuerySet[Product]:
    """Published products matching ``filters``, in the requested order.

    Raises :class:`ApplicationError` (400) for an unknown category, brand, attribute or
    sort, or a value of the wrong type, naming the offending parameter.
    """
    qs = Product.objects.filter(status=Product.Status.PUBLISHED)

    if filters.category is not None:
        category = category_get_by_slug(slug=filters.category)
        if category is None:
            raise _invalid(
                "category", f"No category has the slug {filters.category!r}.", "unknown_category"
            )
        qs = qs.filter(category__path__startswith=category.path)

    if filters.brands:
        slugs = sorted(set(filters.brands))
        brand_ids = dict(Brand.objects.filter(slug__in=slugs).values_list("slug", "id"))
        unknown = [s for s in slugs if s not in brand_ids]
        if unknown:
            raise _invalid("brand", f"Unknown brand: {', '.join(unknown)}.", "unknown_brand")
        qs = qs.filter(brand_id__in=brand_ids.values())

    if len(filters.attributes) > MAX_ATTRIBUTE_FILTERS:
        raise _invalid("attributes", f"At most {MAX_ATTRIBUTE_FILTERS} attribute filters.")
    if filters.attributes:
        by_code: dict[str, list[Attribute]] = {}
        for attribute in Attribute.objects.filter(code__in=list(filters.attributes)):
            by_code.setdefault(attribute.code, []).append(attribute)
        for code, raw_values in sorted(filters.attributes.items()):
            qs = with_attribute_value(qs, code).filter(
                _attribute_condition(code, raw_values, by_code.get(code, []))
            )

    if filters.q:
        terms = filters.q.split()
        if len(terms) > MAX_SEARCH_TERMS:
            raise _invalid("q", f"At most {MAX_SEARCH_TERMS} search words.")
        for term in terms:
            qs = qs.filter(name__icontains=term)

    offers = _offer_conditions(filters)
    # Without a store or price-range filter, the figures a list row needs are exactly
    # the per-currency summary's (one join); otherwise they come from the matching offers.
    summarised = filters.store is None and filters.min_price is None and filters.max_price is None
    if summarised:
        qs = qs.alias(
            priced_summary=FilteredRelation(
                "offer_summaries", condition=Q(offer_summaries__currency=offers.currency)
            )
        )
        price_column = "min_in_stock_price" if filters.in_stock else "min_price"
        if filters.currency is not None:
            qs = qs.filter(**{f"priced_summary__{price_column}__isnull": False})
        elif filters.in_stock:
            qs = qs.filter(
                Exists(OfferSummary.objects.filter(product_id=OuterRef("pk"), max_available__gt=0))
            )
        price_from: Any = F(f"priced_summary__{price_column}")
    else:
        if offers.filtered:
            qs = qs.filter(Exists(offers.matching))
        price_from = Subquery(
            offers.priced.order_by("price_minor").values("price_minor")[:1],
            output_field=IntegerField(),
        )

    if filters.sort in RESERVED_PRODUCT_SORTS:
        raise _invalid("sort", RESERVED_PRODUCT_SORTS[filters.sort], "sort_not_available")
    sort = PRODUCT_SORTS.get(filters.sort)
    if sort is None:
        raise _invalid("sort", f"Sort by one of: {', '.join(PRODUCT_SORTS)}.", "unknown_sort")
    if sort.prepare is not None:
        qs = sort.prepare(qs)

    # Only what filters and orders: the page's display columns are fetched for its rows
    # alone (``product_list_page``), so ordering 10,000 products never computes a
    # thumbnail or reads a description.
    return (
        qs.annotate(
            price_from=price_from,
            price_currency=Value(offers.currency, output_field=CharField()),
        )
        .only("id")
        .order_by(*sort.order_by)
    )


def product_list_page(*, products: Sequence[Product]) -> list[Product]:
    """The rows of one page of :func:`product_list`, in its order, with what a list item
    shows: brand, category, first image, live offer count and largest stock. One query."""
    if not products:
        return []
    first_image = ProductImage.objects.filter(product=OuterRef("pk")).order_by(
        "position", "created_at"
    )
    live = Offer.objects.filter(product_id=OuterRef("pk"), is_purchasable=True, is_removed=False)
    rows = (
        Product.objects.filter(pk__in=[p.pk for p in products])
        .select_related("brand", "category")
        .annotate(
            thumbnail_name=Subquery(first_image.values("thumbnail")[:1]),
            thumbnail_alt=Subquery(first_image.values("alt_text")[:1]),
            offer_count=Subquery(
                live.order_by().values("product_id").annotate(n=Count("*")).values("n")[:1],
                output_field=IntegerField(),
            ),
            # a correlated "largest available" lookup (index on product_id) rather than
            # EXISTS, which PostgreSQL plans as a hash of every in-stock offer in the table
            max_available=Subquery(
                live.order_by("-available").values("available")[:1], output_field=IntegerField()
            ),
        )
        .order_by()
    )
    by_id = {row.pk: row for row in rows}
    page: list[Product] = []
    for product in products:
        row = by_id.get(product.pk)
        if row is None:  # deleted between the two queries
            continue
        row.price_from = product.price_from  # type: ignore[attr-defined]
        row.price_currency = product.price_currency  # type: ignore[attr-defined]
        page.append(row)
    return page


@dataclass(frozen=True)
class OfferConditions:
    """The offers a list request is about. ``matching``: offers meeting every offer
    filter (used with ``Exists`` when ``filtered``); ``priced``: those also in
    ``currency`` (the "from" price and the price sort)."""

    matching: QuerySet[Offer]
    priced: QuerySet[Offer]
    currency: str
    filtered: bool


def _offer_conditions(filters: ProductListFilters) -> OfferConditions:
    currency = filters.currency or settings.CATALOG_DEFAULT_CURRENCY
    if filters.currency is not None and not is_currency(filters.currency):
        raise _invalid(
            "currency",
            f"{filters.currency!r} is not an ISO 4217 currency code.",
            "invalid_currency",
        )
    priced_filter = filters.min_price is not None or filters.max_price is not None
    if (
        filters.min_price is not None
        and filters.max_price is not None
        and filters.min_price > filters.max_price
    ):
        raise _invalid(
            "min_price",
            f"min_price ({filters.min_price}) is above max_price ({filters.max_price}).",
            "invalid_price_range",
        )
    matching = Offer.objects.filter(
        product_id=OuterRef("pk"), is_purchasable=True, is_removed=False
    )
    if filters.store is not None:
        if not Offer.objects.filter(store_id=filters.store).exists():
            raise _invalid(
                "store", "No store offers anything in the catalogue with this id.", "unknown_store"
            )
        matching = matching.filter(store_id=filters.store)
    if filters.in_stock:
        matching = matching.filter(available__gt=0)
    if priced_filter or filters.currency is not None:
        matching = matching.filter(currency=currency)
    if filters.min_price is not None:
        matching = matching.filter(price_minor__gte=filters.min_price)
    if filters.max_price is not None:
        matching = matching.filter(price_minor__lte=filters.max_price)
    return OfferConditions(
        matching=matching,
        priced=matching.filter(currency=currency),
        currency=currency,
        filtered=(
            priced_filter
            or filters.store is not None
            or filters.in_stock
            or filters.currency is not None
        ),
    )


def catalog_last_modified() -> datetime | None:
    """The latest change to anything a browsing response shows (a Last-Modified value).

    Conservative on purpose: any product, brand or category change moves it, so a
    list that lost a product (unpublished elsewhere) is never answered with a 304.
    """
    stamps = [
        Product.objects.aggregate(m=Max("updated_at"))["m"],
        Category.objects.aggregate(m=Max("updated_at"))["m"],
        Brand.objects.aggregate(m=Max("updated_at"))["m"],
        Offer.objects.aggregate(m=Max("updated_at"))["m"],
    ]
    present = [s for s in stamps if s is not None]
    return max(present) if present else None


def categories_last_modified() -> datetime | None:
    return Category.objects.aggregate(m=Max("updated_at"))["m"]


def brands_last_modified() -> datetime | None:
    return Brand.objects.aggregate(m=Max("updated_at"))["m"]


# --- product detail -------------------------------------------------------------


@dataclass
class ProductDetail:
    product: Product
    category_path: list[Category]
    attributes: list[Attribute]
    variants: list[Variant]
    images: list[ProductImage]
    # every offer row of the product, removed and unpurchasable ones too (their changes
    # move Last-Modified); each variant's live ones are on ``variant.offers``
    offer_rows: list[Offer] = field(default_factory=list)

    @property
    def last_modified(self) -> datetime:
        stamps = [self.product.updated_at, self.product.product_type.updated_at]
        stamps += [o.updated_at for o in self.offer_rows]
        stamps += [c.updated_at for c in self.category_path]
        if self.product.brand is not None:
            stamps.append(self.product.brand.updated_at)
        stamps += [a.updated_at for a in self.attributes]
        return max(stamps)


def product_get_published(*, slug: str) -> ProductDetail:
    """A published product with its active variants (each with its live offers, cheapest
    first), images and attribute definitions.

    Six queries whatever the number of variants, images and offers. Raises
    :class:`NotFoundError` for unknown, draft or unpublished products.
    """
    product = (
        Product.objects.filter(slug=slug, status=Product.Status.PUBLISHED)
        .select_related("brand", "category", "product_type")
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=Variant.objects.filter(is_active=True).order_by("position", "sku"),
            ),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "created_at")),
            Prefetch(
                "product_type__attributes", queryset=Attribute.objects.order_by("position", "code")
            ),
        )
        .first()
    )
    if product is None:
        raise NotFoundError(f"No published product has the slug {slug!r}.")
    variants = list(product.variants.all())
    offer_rows = list(Offer.objects.filter(product_id=product.pk))
    by_variant: dict[uuid.UUID, list[Offer]] = {}
    for offer in sorted(offer_rows, key=lambda o: (o.price_minor, o.currency, str(o.pk))):
        if offer.is_live:
            by_variant.setdefault(offer.variant_id, []).append(offer)
    for variant in variants:
        variant.offers = by_variant.get(variant.pk, [])  # type: ignore[attr-defined]
    return ProductDetail(
        product=product,
        category_path=category_paths(categories=[product.category])[product.category_id],
        attributes=list(product.product_type.attributes.all()),
        variants=variants,
        images=list(product.images.all()),
        offer_rows=offer_rows,
    )


def product_merged_target_slug(*, slug: str) -> str | None:
    """The published product a merged duplicate now lives on (for a permanent redirect)."""
    target = (
        Product.objects.filter(slug=slug, merged_into__isnull=False)
        .values_list("merged_into__slug", "merged_into__status")
        .first()
    )
    if target is None or target[1] != Product.Status.PUBLISHED:
        return None
    return target[0]


def product_get(*, product_id: uuid.UUID) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFoundError(f"No product has the id {product_id}.", fields={"product_id": []})
    return product


def product_type_attributes(*, product_type_id: uuid.UUID) -> list[Attribute]:
    return list(Attribute.objects.filter(product_type_id=product_type_id))


def product_type_get(*, product_type_id: uuid.UUID) -> ProductType | None:
    return ProductType.objects.filter(pk=product_type_id).first()


# --- event snapshots ------------------------------------------------------------

_TAG_BOUNDARY = re.compile(r"<")
_SPACES = re.compile(r"\s+")


def html_to_text(markup: str) -> str:
    """Visible text of (sanitised) HTML: tags removed, entities decoded, spaces collapsed."""
    if not markup:
        return ""
    stripped = nh3.clean(_TAG_BOUNDARY.sub(" <", markup), tags=set())
    return _SPACES.sub(" ", html.unescape(stripped)).strip()


def _sorted_values(values: Iterable[AttributeValue]) -> list[AttributeValue]:
    # bools and numbers and strings never mix under one code, but sort defensively
    return sorted(set(values), key=lambda v: (type(v).__name__, v))


def product_snapshots(*, product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The fields of :class:`~contexts.catalog.events.ProductSnapshotEvent` for each product.

    Three queries for any number of products (products with their brand, category and
    type; all their variants; the categories on their paths).
    """
    products = list(
        Product.objects.filter(pk__in=list(product_ids))
        .select_related("brand", "category", "product_type")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("position", "sku"))
        )
    )
    paths = category_paths(categories={p.category_id: p.category for p in products}.values())
    snapshots: dict[uuid.UUID, dict[str, Any]] = {}
    for product in products:
        variants = list(product.variants.all())
        active = [v for v in variants if v.is_active]
        collected: dict[str, list[AttributeValue]] = {}
        for source in [product.attributes, *(v.attributes for v in active)]:
            for code, value in (source or {}).items():
                collected.setdefault(code, []).append(value)
        path = paths[product.category_id]
        brand = product.brand
        snapshots[product.id] = {
            "product_id": product.id,
            "slug": product.slug,
            "name": product.name,
            "status": product.status,
            "description_text": html_to_text(product.description),
            "brand_id": brand.id if brand else None,
            "brand_name": brand.name if brand else None,
            "brand_slug": brand.slug if brand else None,
            "category_id": product.category_id,
            "category_path_ids": [c.id for c in path],
            "category_path": [c.name for c in path],
            "category_path_slugs": [c.slug for c in path],
            "product_type": product.product_type.slug,
            "attribute_values": {
                code: _sorted_values(values) for code, values in sorted(collected.items())
            },
            "variant_ids": [v.id for v in active],
            "skus": [v.sku for v in active],
            "proposed_by_vendor_id": product.proposed_by_vendor_id,
            "published_at": product.published_at,
            "updated_at": product.updated_at,
        }
    return snapshots
