"""The vendors context's synchronous API for other contexts (and the vendor admin site).

Plain functions with keyword-only arguments returning frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from contexts.vendors import selectors
from contexts.vendors.models import Store, Vendor


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
