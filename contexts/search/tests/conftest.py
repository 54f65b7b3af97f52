"""Fixtures for the search context's tests: products arrive as the catalogue's events,
offers as the vendors' events, ratings as the reviews' events: the read model is built
only the way production builds it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contexts.catalog.events import ProductPublished
from contexts.reviews.events import RatingSummaryChanged
from contexts.search import handlers
from contexts.vendors.events import ListingUpdated

CATEGORIES = {
    "phones": (["Electronics", "Phones"], ["electronics", "phones"]),
    "audio": (["Electronics", "Audio"], ["electronics", "audio"]),
    "laptops": (["Electronics", "Laptops"], ["electronics", "laptops"]),
    "kitchen": (["Home", "Kitchen"], ["home", "kitchen"]),
    "lighting": (["Home", "Lighting"], ["home", "lighting"]),
}

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def snapshot(
    name: str,
    *,
    brand: str | None = "Acme",
    category: str = "phones",
    description: str = "",
    attributes: dict[str, list[Any]] | None = None,
    status: str = "published",
    product_id: uuid.UUID | None = None,
    updated_at: datetime | None = None,
    cls: type = ProductPublished,
) -> Any:
    path, slugs = CATEGORIES[category]
    return cls(
        product_id=product_id or uuid.uuid5(uuid.NAMESPACE_URL, name),
        slug=name.lower().replace(" ", "-"),
        name=name,
        status=status,
        description_text=description or f"{name}, a fine product.",
        brand_id=uuid.uuid5(uuid.NAMESPACE_URL, f"brand/{brand}") if brand else None,
        brand_name=brand,
        brand_slug=brand.lower() if brand else None,
        category_id=uuid.uuid5(uuid.NAMESPACE_URL, f"cat/{category}"),
        category_path_ids=[uuid.uuid5(uuid.NAMESPACE_URL, f"cat/{s}") for s in slugs],
        category_path=path,
        category_path_slugs=slugs,
        product_type=category,
        attribute_values=attributes or {},
        variant_ids=[uuid.uuid4()],
        skus=[f"SKU-{abs(hash(name)) % 10_000}"],
        proposed_by_vendor_id=None,
        published_at=T0,
        updated_at=updated_at or T0,
    )


@pytest.fixture
def index(db) -> Callable[..., uuid.UUID]:
    """Index a product through the search handler; returns its id."""

    def make(name: str, **kwargs: Any) -> uuid.UUID:
        event = snapshot(name, **kwargs)
        handlers.on_product_published_index(event)
        return event.product_id

    return make


@pytest.fixture
def offer(db) -> Callable[..., uuid.UUID]:
    """A vendor listing of a product, through the search handler; returns its id."""

    def make(
        product_id: uuid.UUID,
        *,
        price: int,
        available: int = 5,
        purchasable: bool = True,
        listing_id: uuid.UUID | None = None,
        currency: str = "EUR",
        updated_at: datetime | None = None,
    ) -> uuid.UUID:
        event = ListingUpdated(
            listing_id=listing_id or uuid.uuid4(),
            store_id=uuid.uuid4(),
            vendor_id=uuid.uuid4(),
            product_id=product_id,
            variant_id=uuid.uuid4(),
            price_minor=price,
            currency=currency,
            condition="new",
            available=available,
            is_purchasable=purchasable,
            updated_at=updated_at or T0 + timedelta(minutes=1),
        )
        handlers.on_listing_updated_fold_offer(event)
        return event.listing_id

    return make


@pytest.fixture
def rate(db) -> Callable[..., None]:
    def make(product_id: uuid.UUID, average: float, count: int = 3) -> None:
        handlers.on_rating_summary_changed_set_rating(
            RatingSummaryChanged(
                subject_type="product",
                subject_id=product_id,
                average=average,
                count=count,
                distribution={"1": 0, "2": 0, "3": 0, "4": 0, "5": count},
            )
        )

    return make
