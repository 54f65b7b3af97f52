"""Builders for the listing and stock tests: an active vendor with an open store, made
directly (onboarding is tested elsewhere), and listings through the real services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from contexts.vendors.models import Listing, Store, Vendor, VendorStatus
from contexts.vendors.services.listings import ListingInput, listing_create
from contexts.vendors.tests import support
from tests.support.catalog import CatalogProduct, make_product


@dataclass(frozen=True)
class Seller:
    vendor: Vendor
    store: Store


def make_seller(*, currency: str = "EUR", status: str = VendorStatus.ACTIVE) -> Seller:
    tag = support.unique("s")
    vendor = Vendor.objects.create(
        legal_name=f"{tag} Ltd",
        contact_email=f"{tag}@sellers.test",
        owner_user_id=uuid.uuid4(),
        status=status,
    )
    store = Store.objects.create(vendor=vendor, name=f"Store {tag}", slug=tag, currency=currency)
    return Seller(vendor=vendor, store=store)


def make_listing(
    seller: Seller,
    *,
    product: CatalogProduct | None = None,
    stock: int = 10,
    price_minor: int = 1999,
    threshold: int = 2,
    condition: str = "new",
) -> Listing:
    product = product or make_product()
    return listing_create(
        vendor_id=seller.vendor.pk,
        data=ListingInput(
            store_id=seller.store.pk,
            variant_id=product.variant_ids[0],
            price_minor=price_minor,
            currency=seller.store.currency,
            condition=condition,
            low_stock_threshold=threshold,
            initial_stock=stock,
        ),
    )


def ledger_totals(listing: Listing) -> tuple[int, int]:
    """(on hand, reserved) summed from the listing's movements."""
    on_hand = reserved = 0
    for movement in listing.movements.all():
        on_hand += movement.on_hand_delta
        reserved += movement.reserved_delta
    return on_hand, reserved
