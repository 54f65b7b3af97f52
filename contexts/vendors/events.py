"""The vendors context's published language.

Ordering key: the vendor (``aggregate = "vendor_id"``), so one vendor's history is
seen in order; listing and stock events are ordered per listing (``listing_id``), and
reservation events per reservation reference. Store, staff and product-count events carry
the vendor's resulting count, so a consumer keeping usage (the subscriptions context) needs
no arithmetic and tolerates redelivery. Consumers: subscriptions (usage read model); catalog, search and
notifications are expected to subscribe.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from bazaar_platform.events import IntegrationEvent


class VendorRegistered(IntegrationEvent):
    event_type: ClassVar[str] = "vendors.vendor_registered"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    vendor_id: UUID
    owner_user_id: UUID
    legal_name: str


class VendorActivated(IntegrationEvent):
    event_type: ClassVar[str] = "vendors.vendor_activated"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    vendor_id: UUID
    owner_user_id: UUID


class VendorSuspended(IntegrationEvent):
    event_type: ClassVar[str] = "vendors.vendor_suspended"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    vendor_id: UUID
    reason: str  # "subscription_expired" | "subscription_cancelled" | "staff"


class StoreCreated(IntegrationEvent):
    event_type: ClassVar[str] = "vendors.store_created"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    vendor_id: UUID
    store_id: UUID
    slug: str
    name: str
    currency: str
    store_count: int


class StoreUpdated(IntegrationEvent):
    event_type: ClassVar[str] = "vendors.store_updated"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    vendor_id: UUID
    store_id: UUID
    changed: list[str]
    opening_state: str


class StoreDeleted(IntegrationEvent):
    event_type: ClassVar[str] = "vendors.store_deleted"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    vendor_id: UUID
    store_id: UUID
    store_count: int


class StaffMemberAdded(IntegrationEvent):
    event_type: ClassVar[str] = "vendors.staff_member_added"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    vendor_id: UUID
    user_id: UUID
    role: str
    staff_count: int


class StaffMemberRemoved(IntegrationEvent):
    event_type: ClassVar[str] = "vendors.staff_member_removed"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    vendor_id: UUID
    user_id: UUID
    staff_count: int


class ListingUpdated(IntegrationEvent):
    """Snapshot of one listing, published whenever its price, condition, state or available
    quantity changes. A consumer keeps the latest snapshot per listing (``updated_at`` orders
    them), so redelivery and reordering are harmless."""

    event_type: ClassVar[str] = "vendors.listing_updated"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "listing_id"

    listing_id: UUID
    store_id: UUID
    vendor_id: UUID
    product_id: UUID
    variant_id: UUID
    price_minor: int
    currency: str
    condition: str  # "new" | "used" | "refurbished"
    available: int  # on hand minus active reservations, never < 0
    is_purchasable: bool
    updated_at: datetime
    # Additions (optional, so older messages still validate): for displaying offers.
    store_name: str = ""
    store_slug: str = ""
    sku: str = ""


class ListingRemoved(IntegrationEvent):
    """A listing was deleted; consumers drop their copy of it."""

    event_type: ClassVar[str] = "vendors.listing_removed"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "listing_id"

    listing_id: UUID
    product_id: UUID
    variant_id: UUID
    store_id: UUID


class ProductCountChanged(IntegrationEvent):
    """The number of distinct catalogue products the vendor lists (what the plan's product
    limit counts) after a change that can move it: a listing of a new product created, a
    product's last listing removed (also with its store), listings following a catalogue
    merge. Carries the resulting count, so a consumer needs no arithmetic."""

    event_type: ClassVar[str] = "vendors.product_count_changed"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    vendor_id: UUID
    product_count: int


class StockLow(IntegrationEvent):
    """A listing's available quantity fell to or below its low-stock threshold (published
    when crossing, not on every movement below it)."""

    event_type: ClassVar[str] = "vendors.stock_low"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "listing_id"

    listing_id: UUID
    store_id: UUID
    vendor_id: UUID
    product_id: UUID
    variant_id: UUID
    available: int
    threshold: int


class StockReservationExpired(IntegrationEvent):
    """A checkout's stock reservation passed its expiry and its stock went back on sale.
    ``lines`` are ``{"listing_id": str, "quantity": int}``."""

    event_type: ClassVar[str] = "vendors.stock_reservation_expired"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "reference"

    reference: str
    lines: list[dict[str, str | int]]


ALL_EVENTS: tuple[type[IntegrationEvent], ...] = (
    VendorRegistered,
    VendorActivated,
    VendorSuspended,
    StoreCreated,
    StoreUpdated,
    StoreDeleted,
    StaffMemberAdded,
    StaffMemberRemoved,
    ListingUpdated,
    ListingRemoved,
    ProductCountChanged,
    StockLow,
    StockReservationExpired,
)
