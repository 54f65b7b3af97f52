"""Reactions of the catalogue to other contexts' events.

The vendors context owns listings (a store's price, condition and stock for a variant);
the catalogue keeps its own copy of them as offers, so browsing (price filters and sort,
"offers from every store") reads one database schema and keeps a constant query count,
without calling the vendors context per request. Handlers run once per event (inbox),
and the services ignore stale or repeated snapshots besides.

The product rating shown and sorted on in the catalogue is likewise a copy of the
reviews context's aggregate, kept from ``reviews.rating_summary_changed`` (the whole
summary in each event, so a redelivery or a late event cannot skew it; see
``product_rating_set``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bazaar_platform.events import IntegrationEvent
from contexts.catalog.services import (
    OfferSnapshot,
    offer_remove,
    offer_upsert,
    product_rating_set,
)
from contexts.reviews.events import RatingSummaryChanged
from contexts.vendors.events import ListingRemoved, ListingUpdated


def on_listing_updated_upsert_offer(event: ListingUpdated) -> None:
    offer_upsert(
        snapshot=OfferSnapshot(
            listing_id=event.listing_id,
            product_id=event.product_id,
            variant_id=event.variant_id,
            store_id=event.store_id,
            vendor_id=event.vendor_id,
            price_minor=event.price_minor,
            currency=event.currency,
            condition=event.condition,
            available=event.available,
            is_purchasable=event.is_purchasable,
            updated_at=event.updated_at,
            store_name=event.store_name,
            store_slug=event.store_slug,
        )
    )


def on_listing_removed_drop_offer(event: ListingRemoved) -> None:
    offer_remove(
        listing_id=event.listing_id,
        product_id=event.product_id,
        variant_id=event.variant_id,
        store_id=event.store_id,
        removed_at=event.occurred_at,
    )


def on_rating_summary_changed_store_product_rating(event: RatingSummaryChanged) -> None:
    if event.subject_type != "product":
        return  # store and vendor ratings are not the catalogue's
    product_rating_set(
        product_id=event.subject_id,
        average=event.average,
        count=event.count,
        as_of=event.occurred_at,
    )


HANDLERS: dict[type[IntegrationEvent], list[Callable[[Any], None]]] = {
    ListingUpdated: [on_listing_updated_upsert_offer],
    ListingRemoved: [on_listing_removed_drop_offer],
    RatingSummaryChanged: [on_rating_summary_changed_store_product_rating],
}
