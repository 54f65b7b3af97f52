"""Reads of the vendors context. Every vendor-facing read is scoped by vendor id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Count, F, Q, QuerySet

from contexts.vendors.models import (
    Listing,
    ListingStatus,
    Onboarding,
    OpeningState,
    Reservation,
    StockMovement,
    Store,
    Vendor,
    VendorMember,
    VendorStatus,
)


def membership_for_user(*, user_id: UUID) -> VendorMember | None:
    return VendorMember.objects.select_related("vendor").filter(user_id=user_id).first()


def vendor_get(*, vendor_id: UUID) -> Vendor | None:
    return Vendor.objects.filter(pk=vendor_id).first()


def vendor_list() -> QuerySet[Vendor]:
    return Vendor.objects.all()


def store_list_for_vendor(*, vendor_id: UUID) -> QuerySet[Store]:
    return Store.objects.filter(vendor_id=vendor_id)


def store_get_for_vendor(*, vendor_id: UUID, store_id: UUID) -> Store | None:
    return Store.objects.filter(vendor_id=vendor_id, pk=store_id).first()


def store_get(*, store_id: UUID) -> Store | None:
    return Store.objects.filter(pk=store_id).first()


@dataclass(frozen=True)
class Storefront:
    store: Store
    listings_on_sale: int


def storefront_get(*, slug: str) -> Storefront | None:
    """The public page of an open store of an active vendor (``None`` otherwise)."""
    store = (
        Store.objects.select_related("vendor")
        .filter(slug=slug, opening_state=OpeningState.OPEN, vendor__status=VendorStatus.ACTIVE)
        .annotate(
            on_sale=Count(
                "listings",
                filter=Q(listings__status=ListingStatus.ACTIVE)
                & Q(listings__on_hand__gt=F("listings__reserved")),
            )
        )
        .first()
    )
    if store is None:
        return None
    return Storefront(store=store, listings_on_sale=int(store.on_sale))


def store_slug_taken(*, slug: str, exclude_store_id: UUID | None = None) -> bool:
    stores = Store.objects.filter(slug=slug)
    if exclude_store_id is not None:
        stores = stores.exclude(pk=exclude_store_id)
    return stores.exists()


def store_count(*, vendor_id: UUID) -> int:
    return Store.objects.filter(vendor_id=vendor_id).count()


def member_list_for_vendor(*, vendor_id: UUID) -> QuerySet[VendorMember]:
    return VendorMember.objects.filter(vendor_id=vendor_id)


def member_get_for_vendor(*, vendor_id: UUID, member_id: UUID) -> VendorMember | None:
    return VendorMember.objects.filter(vendor_id=vendor_id, pk=member_id).first()


def member_count(*, vendor_id: UUID) -> int:
    return VendorMember.objects.filter(vendor_id=vendor_id).count()


def onboarding_get_by_key(*, idempotency_key: str) -> Onboarding | None:
    return Onboarding.objects.filter(idempotency_key=idempotency_key).first()


def _uuids(values: Iterable[UUID | str]) -> list[UUID]:
    parsed: list[UUID] = []
    for value in values:
        try:
            parsed.append(value if isinstance(value, UUID) else UUID(str(value)))
        except ValueError:
            continue  # not an id we could have issued: simply absent
    return parsed


def listings_by_ids(*, listing_ids: Iterable[UUID | str]) -> QuerySet[Listing]:
    return Listing.objects.select_related("store", "vendor").filter(pk__in=_uuids(listing_ids))


def listing_list_for_vendor(*, vendor_id: UUID) -> QuerySet[Listing]:
    return Listing.objects.filter(vendor_id=vendor_id).select_related("store")


def listing_get_for_vendor(*, vendor_id: UUID, listing_id: UUID) -> Listing | None:
    return listing_list_for_vendor(vendor_id=vendor_id).filter(pk=listing_id).first()


def movement_list_for_listing(*, vendor_id: UUID, listing_id: UUID) -> QuerySet[StockMovement]:
    return StockMovement.objects.filter(
        listing_id=listing_id, listing__vendor_id=vendor_id
    ).order_by("-id")


def reservation_get(*, reference: str) -> Reservation | None:
    return Reservation.objects.filter(reference=reference).first()
