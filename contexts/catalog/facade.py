"""The catalogue's synchronous API for other contexts.

Plain functions taking and returning serialisable values (ids, strings, frozen
dataclasses), never models or QuerySets, so the same calls can later go over HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage

from contexts.catalog import selectors, services
from contexts.catalog.models import AttributeValue, Category, Product, ProductImage, Variant

__all__ = [
    "ProductSummary",
    "ProposedProduct",
    "ProposedVariant",
    "VariantInfo",
    "category_subtree_ids",
    "product_propose",
    "product_summaries",
    "variant_get",
    "variant_is_purchasable",
    "variant_lookup",
    "variants_for_sale",
]


@dataclass(frozen=True)
class ProductSummary:
    id: uuid.UUID
    name: str
    slug: str
    status: str  # "draft" | "published" | "unpublished"
    is_published: bool
    brand_id: uuid.UUID | None
    brand_name: str | None
    category_id: uuid.UUID
    category_name: str
    thumbnail_url: str | None
    # Set when staff merged this product into another one: use that id from now on.
    merged_into_id: uuid.UUID | None
    proposed_by_vendor_id: uuid.UUID | None


@dataclass(frozen=True)
class VariantInfo:
    variant_id: uuid.UUID
    product_id: uuid.UUID
    product_name: str
    product_slug: str
    sku: str
    name: str
    # product-level and variant-level attribute values together, by attribute code
    attributes: Mapping[str, AttributeValue] = field(hash=False)
    is_active: bool
    product_published: bool

    @property
    def is_purchasable(self) -> bool:
        return self.is_active and self.product_published


@dataclass(frozen=True)
class ProposedVariant:
    sku: str
    name: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class ProposedProduct:
    product_id: uuid.UUID
    slug: str
    status: str
    variant_ids: tuple[uuid.UUID, ...]


def _uuids(values: Iterable[uuid.UUID | str]) -> list[uuid.UUID]:
    parsed: list[uuid.UUID] = []
    for value in values:
        try:
            parsed.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            continue  # not an id we could have issued: simply not found
    return parsed


def product_summaries(product_ids: Iterable[uuid.UUID | str]) -> dict[uuid.UUID, ProductSummary]:
    """Summaries of the given products, keyed by id, in two queries.

    Unknown ids are absent from the result (no error). Includes drafts, unpublished
    and merged products: check ``is_published`` / ``merged_into_id``.
    """
    ids = _uuids(product_ids)
    if not ids:
        return {}
    thumbnails: dict[uuid.UUID, str] = {}
    for product_id, thumbnail in (
        ProductImage.objects.filter(product_id__in=ids)
        .order_by("product_id", "-position", "-created_at")
        .values_list("product_id", "thumbnail")
    ):
        thumbnails[product_id] = thumbnail  # the last one seen is the first by position
    return {
        p.id: ProductSummary(
            id=p.id,
            name=p.name,
            slug=p.slug,
            status=p.status,
            is_published=p.status == Product.Status.PUBLISHED,
            brand_id=p.brand_id,
            brand_name=p.brand.name if p.brand else None,
            category_id=p.category_id,
            category_name=p.category.name,
            thumbnail_url=default_storage.url(thumbnails[p.id]) if p.id in thumbnails else None,
            merged_into_id=p.merged_into_id,
            proposed_by_vendor_id=p.proposed_by_vendor_id,
        )
        for p in Product.objects.filter(pk__in=ids).select_related("brand", "category")
    }


def variant_lookup(variant_ids: Iterable[uuid.UUID | str]) -> dict[uuid.UUID, VariantInfo]:
    """Variant id -> product id, SKU, attribute values and publication, in one query.

    Unknown ids (never issued, or collapsed by a merge: see ``catalog.products_merged``)
    are absent from the result.
    """
    ids = _uuids(variant_ids)
    if not ids:
        return {}
    return {
        v.id: VariantInfo(
            variant_id=v.id,
            product_id=v.product_id,
            product_name=v.product.name,
            product_slug=v.product.slug,
            sku=v.sku,
            name=v.name,
            attributes={**(v.product.attributes or {}), **(v.attributes or {})},
            is_active=v.is_active,
            product_published=v.product.status == Product.Status.PUBLISHED,
        )
        for v in Variant.objects.filter(pk__in=ids).select_related("product")
    }


def variants_for_sale(*, limit: int = 100, offset: int = 0) -> list[VariantInfo]:
    """Active variants of published products, in a stable order (product slug, position):
    what a vendor may list. Paginated by ``limit`` / ``offset`` (``limit`` at most 1000)."""
    limit = max(0, min(limit, 1000))
    rows = (
        Variant.objects.filter(is_active=True, product__status=Product.Status.PUBLISHED)
        .select_related("product")
        .order_by("product__slug", "position", "id")[offset : offset + limit]
    )
    return [
        VariantInfo(
            variant_id=v.id,
            product_id=v.product_id,
            product_name=v.product.name,
            product_slug=v.product.slug,
            sku=v.sku,
            name=v.name,
            attributes={**(v.product.attributes or {}), **(v.attributes or {})},
            is_active=v.is_active,
            product_published=True,
        )
        for v in rows
    ]


def variant_get(variant_id: uuid.UUID | str) -> VariantInfo | None:
    """One variant, or ``None`` if no such variant exists."""
    return next(iter(variant_lookup([variant_id]).values()), None)


def variant_is_purchasable(variant_id: uuid.UUID | str) -> bool:
    """True when the variant exists, is active and its product is published."""
    ids = _uuids([variant_id])
    return (
        bool(ids)
        and Variant.objects.filter(
            pk=ids[0], is_active=True, product__status=Product.Status.PUBLISHED
        ).exists()
    )


def category_subtree_ids(category_id: uuid.UUID | str) -> list[uuid.UUID]:
    """The category and all its descendants' ids (empty if the category is unknown)."""
    ids = _uuids([category_id])
    category = Category.objects.filter(pk=ids[0]).first() if ids else None
    if category is None:
        return []
    return list(selectors.category_subtree(category=category).values_list("id", flat=True))


def product_propose(
    *,
    vendor_id: uuid.UUID | str,
    name: str,
    category_id: uuid.UUID | str,
    product_type_id: uuid.UUID | str,
    brand_id: uuid.UUID | str | None = None,
    description: str = "",
    attributes: Mapping[str, Any] | None = None,
    variants: Sequence[ProposedVariant] = (),
) -> ProposedProduct:
    """A vendor proposes a product missing from the catalogue; it lands as a draft for staff.

    Raises ``ApplicationError`` (4xx) for unknown references, wrong attribute values,
    duplicate SKUs; nothing is written then.
    """
    product = services.product_propose(
        vendor_id=vendor_id,
        name=name,
        category_id=category_id,
        product_type_id=product_type_id,
        brand_id=brand_id,
        description=description,
        attributes=attributes,
        variants=[
            services.VariantInput(sku=v.sku, name=v.name, attributes=dict(v.attributes))
            for v in variants
        ],
    )
    return ProposedProduct(
        product_id=product.pk,
        slug=product.slug,
        status=product.status,
        variant_ids=tuple(product.variants.order_by("position").values_list("id", flat=True)),
    )
