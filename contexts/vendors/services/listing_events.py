"""Publishing listing snapshots and low-stock alerts, shared by every service that changes
what a listing offers (price, state, stock) or whether it can be bought (store opening,
vendor status, the catalogue variant)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID

from bazaar_platform.events import publish
from contexts.catalog import facade as catalog
from contexts.vendors.events import ListingUpdated, StockLow
from contexts.vendors.models import (
    Listing,
    ListingStatus,
    OpeningState,
    VendorStatus,
)


def purchasable_variants(variant_ids: Iterable[UUID]) -> set[UUID]:
    """The variants among ``variant_ids`` the catalogue sells (active, product published)."""
    return {
        v.variant_id for v in catalog.variant_lookup(set(variant_ids)).values() if v.is_purchasable
    }


def listing_is_purchasable(
    listing: Listing, purchasable: set[UUID] | Mapping[UUID, object]
) -> bool:
    """Listing active, store open, vendor active and the variant on sale in the catalogue.
    ``listing.store`` and ``listing.vendor`` must be loaded (select_related)."""
    return (
        listing.status == ListingStatus.ACTIVE
        and listing.store.opening_state == OpeningState.OPEN
        and listing.vendor.status == VendorStatus.ACTIVE
        and listing.variant_id in purchasable
    )


def listings_publish(listings: Iterable[Listing], *, purchasable: set[UUID] | None = None) -> None:
    """One ``vendors.listing_updated`` snapshot per listing (inside the caller's transaction).
    ``purchasable``: the catalogue's answer for these listings' variants, when the caller
    has just asked it (saves asking again)."""
    rows = list(listings)
    if not rows:
        return
    if purchasable is None:
        purchasable = purchasable_variants(row.variant_id for row in rows)
    for row in rows:
        publish(
            ListingUpdated(
                listing_id=row.pk,
                store_id=row.store_id,
                vendor_id=row.vendor_id,
                product_id=row.product_id,
                variant_id=row.variant_id,
                price_minor=row.price_minor,
                currency=row.currency,
                condition=row.condition,
                available=row.available,
                is_purchasable=listing_is_purchasable(row, purchasable),
                updated_at=row.updated_at,
                store_name=row.store.name,
                store_slug=row.store.slug,
                sku=row.sku,
            )
        )


def listings_republish(*, vendor_id: UUID, store_id: UUID | None = None) -> None:
    """Snapshots of every listing of a vendor (or of one store): whether they can be bought
    changed with the vendor's status or the store's opening."""
    rows = Listing.objects.filter(vendor_id=vendor_id).select_related("store", "vendor")
    if store_id is not None:
        rows = rows.filter(store_id=store_id)
    listings_publish(rows.order_by("id"))


def stock_low_check(listing: Listing, *, available_before: int) -> None:
    """Publish ``vendors.stock_low`` when available falls from above the threshold to at or
    below it (once per crossing, not on every movement below it)."""
    threshold = listing.low_stock_threshold
    if available_before > threshold >= listing.available:
        publish(
            StockLow(
                listing_id=listing.pk,
                store_id=listing.store_id,
                vendor_id=listing.vendor_id,
                product_id=listing.product_id,
                variant_id=listing.variant_id,
                available=listing.available,
                threshold=threshold,
            )
        )
