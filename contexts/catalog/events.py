"""The catalogue's published language: the integration events other contexts may consume.

Payloads carry primitives and ids only, and everything a search read model needs to
index a product without calling back (name, slug, brand, category path, attribute
values, description text). Changes are additive; anything else is a new ``version``.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from bazaar_platform.events import IntegrationEvent

AttributeScalar = str | int | float | bool


class ProductSnapshotEvent(IntegrationEvent):
    """Common shape of the events that describe a product's current state."""

    aggregate: ClassVar[str] = "product_id"

    product_id: UUID
    slug: str
    name: str
    status: str  # "draft" | "published" | "unpublished"
    description_text: str  # the description with its markup removed
    brand_id: UUID | None
    brand_name: str | None
    brand_slug: str | None
    category_id: UUID
    # Root first: ids, names and slugs of the category and all its ancestors.
    category_path_ids: list[UUID]
    category_path: list[str]
    category_path_slugs: list[str]
    product_type: str  # the product type's slug
    # Every value of every attribute on the product or any active variant, by code;
    # a product sold in red and blue has {"colour": ["blue", "red"]}.
    attribute_values: dict[str, list[AttributeScalar]]
    variant_ids: list[UUID]
    skus: list[str]
    proposed_by_vendor_id: UUID | None
    published_at: datetime | None
    updated_at: datetime


class ProductPublished(ProductSnapshotEvent):
    """A product became visible to customers (first publication or republication)."""

    event_type: ClassVar[str] = "catalog.product_published"


class ProductUpdated(ProductSnapshotEvent):
    """A product, one of its variants or its images changed; ``status`` says whether it shows."""

    event_type: ClassVar[str] = "catalog.product_updated"


class ProductUnpublished(IntegrationEvent):
    """A product stopped being visible to customers. ``merged_into_product_id`` is set
    when staff merged it into another product (see ``catalog.products_merged``)."""

    event_type: ClassVar[str] = "catalog.product_unpublished"
    aggregate: ClassVar[str] = "product_id"

    product_id: UUID
    slug: str
    merged_into_product_id: UUID | None = None


class ProductsMerged(IntegrationEvent):
    """Staff merged duplicate products into ``target_product_id``.

    ``variant_id_map`` maps every variant id of the merged products to the variant id
    it is now (itself when the variant moved over unchanged, a target variant when it
    duplicated one): contexts holding variant ids (listings, carts) remap with it.
    """

    event_type: ClassVar[str] = "catalog.products_merged"
    aggregate: ClassVar[str] = "target_product_id"

    target_product_id: UUID
    merged_product_ids: list[UUID]
    product_id_map: dict[str, UUID]
    variant_id_map: dict[str, UUID]


__all__ = [
    "ProductPublished",
    "ProductSnapshotEvent",
    "ProductUnpublished",
    "ProductUpdated",
    "ProductsMerged",
]
