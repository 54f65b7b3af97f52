"""The vendors context's synchronous API for other contexts (and the vendor admin site).

Plain functions with keyword-only arguments returning frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from contexts.vendors import selectors
from contexts.vendors.models import Reservation, Store, Vendor
from contexts.vendors.services import stock
from contexts.vendors.services.listing_events import listing_is_purchasable, purchasable_variants

# Raised by stock_reserve / stock_commit: 409 "out_of_stock", ``extra["lines"]`` (also
# ``.details["lines"]``) lists {"listing_id", "requested", "available"} per short line.
OutOfStockError = stock.OutOfStockError


@dataclass(frozen=True)
class Membership:
    """A user's place in a vendor."""

    vendor_id: UUID
    role: str  # "owner" | "manager" | "staff"
    vendor_status: str  # "pending" | "active" | "suspended"


@dataclass(frozen=True)
class VendorInfo:
    vendor_id: UUID
    legal_name: str
    status: str
    owner_user_id: UUID
    contact_email: str


@dataclass(frozen=True)
class StoreInfo:
    store_id: UUID
    vendor_id: UUID
    name: str
    slug: str
    currency: str
    opening_state: str


def _vendor(vendor: Vendor) -> VendorInfo:
    return VendorInfo(
        vendor_id=vendor.pk,
        legal_name=vendor.legal_name,
        status=vendor.status,
        owner_user_id=vendor.owner_user_id,
        contact_email=vendor.contact_email,
    )


def _store(store: Store) -> StoreInfo:
    return StoreInfo(
        store_id=store.pk,
        vendor_id=store.vendor_id,
        name=store.name,
        slug=store.slug,
        currency=store.currency,
        opening_state=store.opening_state,
    )


def vendor_membership_for_user(*, user_id: UUID) -> Membership | None:
    """The vendor ``user_id`` works for and their role there, or ``None``.
    A user belongs to at most one vendor."""
    member = selectors.membership_for_user(user_id=user_id)
    if member is None:
        return None
    return Membership(
        vendor_id=member.vendor_id, role=member.role, vendor_status=member.vendor.status
    )


def vendor_get(*, vendor_id: UUID) -> VendorInfo | None:
    """The vendor ``vendor_id``, or ``None``."""
    vendor = selectors.vendor_get(vendor_id=vendor_id)
    return None if vendor is None else _vendor(vendor)


def vendor_is_active(*, vendor_id: UUID) -> bool:
    """Whether the vendor may sell (its subscription is active and staff did not suspend it)."""
    vendor = selectors.vendor_get(vendor_id=vendor_id)
    return vendor is not None and vendor.status == "active"


def store_get(*, store_id: UUID) -> StoreInfo | None:
    """The store ``store_id``, or ``None``."""
    store = selectors.store_get(store_id=store_id)
    return None if store is None else _store(store)


def stores_of_vendor(*, vendor_id: UUID) -> list[StoreInfo]:
    """Every store of ``vendor_id``."""
    return [_store(s) for s in selectors.store_list_for_vendor(vendor_id=vendor_id)]


# --- listings and stock -------------------------------------------------------------------------
@dataclass(frozen=True)
class ListingInfo:
    listing_id: UUID
    store_id: UUID
    vendor_id: UUID
    product_id: UUID
    variant_id: UUID
    sku: str  # vendor's own SKU or the variant's
    title: str  # product name + variant name, for order lines
    price_minor: int
    currency: str
    condition: str  # "new" | "used" | "refurbished"
    available: int  # on hand minus active reservations, never < 0
    is_purchasable: bool  # listing active AND store open AND vendor active AND variant on sale


@dataclass(frozen=True)
class StockLine:
    listing_id: UUID
    quantity: int


@dataclass(frozen=True)
class ReservationInfo:
    reference: str
    status: str  # "active" | "committed" | "released" | "expired"
    expires_at: datetime
    lines: tuple[StockLine, ...]


def listings_get(*, listing_ids: Iterable[UUID]) -> dict[UUID, ListingInfo]:
    """The listings with their price and availability, in two queries. Unknown ids are absent."""
    rows = list(selectors.listings_by_ids(listing_ids=listing_ids))
    purchasable = purchasable_variants(row.variant_id for row in rows)
    return {
        row.pk: ListingInfo(
            listing_id=row.pk,
            store_id=row.store_id,
            vendor_id=row.vendor_id,
            product_id=row.product_id,
            variant_id=row.variant_id,
            sku=row.sku,
            title=row.title,
            price_minor=row.price_minor,
            currency=row.currency,
            condition=row.condition,
            available=row.available,
            is_purchasable=listing_is_purchasable(row, purchasable),
        )
        for row in rows
    }


def _reservation(reservation: Reservation) -> ReservationInfo:
    return ReservationInfo(
        reference=reservation.reference,
        status=reservation.status,
        expires_at=reservation.expires_at,
        lines=tuple(
            StockLine(listing_id=line.listing_id, quantity=line.quantity)
            # all(): the lines stock_reserve just wrote when it made the reservation
            for line in sorted(reservation.lines.all(), key=lambda line: line.pk)
        ),
    )


def stock_reserve(
    *, reference: str, lines: Sequence[StockLine], ttl_seconds: int | None = None
) -> ReservationInfo:
    """Hold stock for all ``lines`` or none, for ``ttl_seconds`` (default
    ``VENDORS_RESERVATION_TTL_SECONDS``). The same ``reference`` again returns the existing
    reservation. Raises ``OutOfStockError`` (409), ``ApplicationError`` (400) for a quantity
    of 0 or less, an unknown listing or one that cannot be bought now."""
    reservation = stock.stock_reserve(
        reference=reference,
        lines=[stock.Line(listing_id=line.listing_id, quantity=line.quantity) for line in lines],
        ttl_seconds=ttl_seconds,
    )
    return _reservation(reservation)


def stock_release(*, reference: str) -> bool:
    """Give an active reservation's stock back; False when there was nothing to release."""
    return stock.stock_release(reference=reference)


def stock_commit(*, reference: str) -> bool:
    """Reserved stock becomes sold. Idempotent; an expired or released reservation takes
    its stock again if it can (``OutOfStockError`` if not); False for an unknown reference."""
    return stock.stock_commit(reference=reference)


def stock_return(*, listing_id: UUID, quantity: int, reference: str) -> None:
    """Restock returned goods (movement "returned"); once per ``reference`` and listing."""
    stock.stock_return(listing_id=listing_id, quantity=quantity, reference=reference)
