"""Reactions of the search context to other contexts' events: the only way its read
model learns anything. Each handler turns one event into one call of this context's
services; they are idempotent, and the inbox applies each event once per handler.

``DOCUMENT_HANDLERS`` feed the search documents (what ``manage.py reindex`` replays).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bazaar_platform.events import IntegrationEvent
from contexts.catalog.events import ProductPublished, ProductUnpublished, ProductUpdated
from contexts.orders.events import OrderPaid
from contexts.reviews.events import RatingSummaryChanged
from contexts.search import services
from contexts.vendors.events import ListingRemoved, ListingUpdated


def on_product_published_index(event: ProductPublished) -> None:
    services.document_apply_snapshot(snapshot=event)


def on_product_updated_index(event: ProductUpdated) -> None:
    services.document_apply_snapshot(snapshot=event)


def on_product_unpublished_hide(event: ProductUnpublished) -> None:
    services.document_unpublish(product_id=event.product_id)


def on_listing_updated_fold_offer(event: ListingUpdated) -> None:
    services.listing_apply(
        listing_id=event.listing_id,
        product_id=event.product_id,
        variant_id=event.variant_id,
        store_id=event.store_id,
        price_minor=event.price_minor,
        currency=event.currency,
        available=event.available,
        is_purchasable=event.is_purchasable,
        updated_at=event.updated_at,
    )


def on_listing_removed_drop_offer(event: ListingRemoved) -> None:
    services.listing_remove(listing_id=event.listing_id)


def on_rating_summary_changed_set_rating(event: RatingSummaryChanged) -> None:
    # Store and vendor ratings are not on product documents.
    if event.subject_type != "product":
        return
    services.document_rating_set(
        product_id=event.subject_id,
        average=event.average,
        count=event.count,
        at=event.occurred_at,
    )


DOCUMENT_HANDLERS: dict[type[IntegrationEvent], list[Callable[[Any], None]]] = {
    ProductPublished: [on_product_published_index],
    ProductUpdated: [on_product_updated_index],
    ProductUnpublished: [on_product_unpublished_hide],
    ListingUpdated: [on_listing_updated_fold_offer],
    ListingRemoved: [on_listing_removed_drop_offer],
    RatingSummaryChanged: [on_rating_summary_changed_set_rating],
}


def on_order_paid_record_purchases(event: OrderPaid) -> None:
    services.purchases_record(
        order_id=event.order_id,
        customer_user_id=event.customer_user_id,
        quantities=services.order_paid_quantities(event),
        paid_at=event.occurred_at,
    )


HANDLERS: dict[type[IntegrationEvent], list[Callable[[Any], None]]] = {
    **DOCUMENT_HANDLERS,
    OrderPaid: [on_order_paid_record_purchases],
}
