"""Listings: a store offers a catalogue variant at its own price, condition and stock.

The variant is checked through the catalog facade (it must exist and be on sale); the
price is in the store's currency; the plan's product limit counts the distinct catalogue
products a vendor lists (a second store or condition of the same product is free).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from bazaar_platform.events import publish
from contexts.catalog import facade as catalog
from contexts.subscriptions import facade as subscriptions
from contexts.vendors.events import ListingRemoved, ProductCountChanged
from contexts.vendors.models import (
    Listing,
    ListingCondition,
    ListingStatus,
    MovementKind,
    ReservationLine,
    ReservationStatus,
    Store,
    Vendor,
)
from contexts.vendors.services.listing_events import listings_publish
from contexts.vendors.services.stock import listings_lock, movement_apply

MAX_PRICE_MINOR = 10**12
MAX_THRESHOLD = 1_000_000
EDITABLE_FIELDS = ("price_minor", "currency", "condition", "status", "sku", "low_stock_threshold")


@dataclass(frozen=True)
class ListingInput:
    store_id: UUID
    variant_id: UUID
    price_minor: int
    currency: str
    condition: str = ListingCondition.NEW.value
    sku: str = ""
    low_stock_threshold: int = 5
    status: str = ListingStatus.ACTIVE.value
    initial_stock: int = 0


def _field_error(field: str, message: str, code: str) -> ApplicationError:
    return ApplicationError(f"{field}: {message}", code=code, fields={field: [message]})


def _price(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _field_error("price_minor", "A whole number of minor units above 0.", "invalid_price")
    if value > MAX_PRICE_MINOR:
        raise _field_error("price_minor", f"At most {MAX_PRICE_MINOR}.", "invalid_price")
    return value


def _currency(value: Any, store: Store) -> str:
    if value != store.currency:
        raise _field_error(
            "currency",
            f"The store sells in {store.currency}; list in that currency.",
            "currency_mismatch",
        )
    return str(value)


def _choice(field: str, value: Any, choices: list[str]) -> str:
    if value not in choices:
        raise _field_error(field, f"One of {', '.join(choices)}.", f"invalid_{field}")
    return str(value)


def _threshold(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_THRESHOLD:
        raise _field_error(
            "low_stock_threshold", f"A whole number from 0 to {MAX_THRESHOLD}.", "invalid_threshold"
        )
    return value


def _sku(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise _field_error("sku", "At most 64 characters.", "invalid_sku")
    return value.strip()


def listed_product_count(*, vendor_id: UUID) -> int:
    return Listing.objects.filter(vendor_id=vendor_id).values("product_id").distinct().count()


def product_count_publish(*, vendor_id: UUID) -> int:
    """Publish ``vendors.product_count_changed`` with the vendor's current distinct product
    count (inside the caller's transaction, the vendor row locked so counts are published
    in the order they were taken). Returns the count."""
    count = listed_product_count(vendor_id=vendor_id)
    publish(ProductCountChanged(vendor_id=vendor_id, product_count=count))
    return count


def product_count_sync(*, vendor_id: UUID) -> int:
    """Publish the vendor's product count on its own (the demo seed, after listing: the
    usage read model then holds it even for listings made before counts were published)."""
    with transaction.atomic():
        Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        return product_count_publish(vendor_id=vendor_id)


def listing_title(variant: catalog.VariantInfo) -> str:
    """Product and variant names, as a listing shows them."""
    title = (
        f"{variant.product_name} {variant.name}".strip() if variant.name else variant.product_name
    )
    return title[:400]


def listing_create(
    *, vendor_id: UUID, data: ListingInput, actor_user_id: UUID | None = None
) -> Listing:
    """List a variant in one of the vendor's stores. 400 for an unknown or unsellable
    variant, a price of 0 or less, a currency other than the store's; 403
    ``plan_limit_reached`` beyond the plan's products; 409 ``listing_exists``."""
    price = _price(data.price_minor)
    condition = _choice("condition", data.condition, ListingCondition.values)
    status = _choice("status", data.status, ListingStatus.values)
    threshold = _threshold(data.low_stock_threshold)
    sku = _sku(data.sku)
    if (
        isinstance(data.initial_stock, bool)
        or not isinstance(data.initial_stock, int)
        or not (0 <= data.initial_stock <= 1_000_000)
    ):
        raise _field_error("initial_stock", "A whole number from 0 to 1000000.", "invalid_quantity")
    with transaction.atomic():
        # The vendor row lock serialises listing creations, so two cannot both pass the limit.
        vendor = Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        if vendor is None:
            raise NotFoundError("No such vendor.")
        store = Store.objects.filter(vendor=vendor, pk=data.store_id).first()
        if store is None:
            raise NotFoundError("No such store.", fields={"store_id": ["No such store."]})
        currency = _currency(data.currency, store)
        variant = catalog.variant_get(data.variant_id)
        if variant is None:
            raise _field_error("variant_id", "No such catalogue variant.", "unknown_variant")
        if not variant.is_purchasable:
            raise _field_error(
                "variant_id",
                "This variant is not on sale in the catalogue (inactive or unpublished).",
                "variant_not_purchasable",
            )
        if Listing.objects.filter(
            store=store, variant_id=variant.variant_id, condition=condition
        ).exists():
            raise ConflictError(
                "This store already lists this variant in this condition; edit that listing.",
                code="listing_exists",
            )
        new_product = not Listing.objects.filter(
            vendor=vendor, product_id=variant.product_id
        ).exists()
        if new_product:
            subscriptions.limit_check(
                vendor_id=vendor.pk,
                resource="products",
                current_count=listed_product_count(vendor_id=vendor.pk),
            )
        listing = Listing(
            vendor=vendor,
            store=store,
            product_id=variant.product_id,
            variant_id=variant.variant_id,
            sku=sku or variant.sku,
            title=listing_title(variant),
            price_minor=price,
            currency=currency,
            condition=condition,
            status=status,
            low_stock_threshold=threshold,
        )
        try:
            with transaction.atomic():
                listing.save()
        except IntegrityError:
            raise ConflictError(
                "This store already lists this variant in this condition.", code="listing_exists"
            ) from None
        if data.initial_stock:
            movement_apply(
                listing,
                kind=MovementKind.RECEIVED,
                on_hand_delta=data.initial_stock,
                reason="initial stock",
                actor_user_id=actor_user_id,
            )
        listings_publish([listing])
        if new_product:
            product_count_publish(vendor_id=vendor.pk)
    return listing


def listing_update(*, vendor_id: UUID, listing_id: UUID, changes: dict[str, Any]) -> Listing:
    """Edit price, condition, state, SKU or low-stock threshold (the currency stays the
    store's: naming another is refused)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        rows = listings_lock([listing_id])
        if not rows or rows[0].vendor_id != vendor_id:
            raise NotFoundError("No such listing.")
        listing = rows[0]
        clean: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "price_minor":
                clean[name] = _price(value)
            elif name == "currency":
                _currency(value, listing.store)
            elif name == "condition":
                clean[name] = _choice("condition", value, ListingCondition.values)
            elif name == "status":
                clean[name] = _choice("status", value, ListingStatus.values)
            elif name == "sku":
                clean[name] = _sku(value)
            elif name == "low_stock_threshold":
                clean[name] = _threshold(value)
        changed = [k for k, v in clean.items() if getattr(listing, k) != v]
        if not changed:
            return listing
        if "condition" in changed and (
            Listing.objects.filter(
                store_id=listing.store_id,
                variant_id=listing.variant_id,
                condition=clean["condition"],
            )
            .exclude(pk=listing.pk)
            .exists()
        ):
            raise ConflictError(
                "This store already lists this variant in that condition.", code="listing_exists"
            )
        for name in changed:
            setattr(listing, name, clean[name])
        listing.save(update_fields=[*changed, "updated_at"])
        listings_publish([listing])
    return listing


def listing_delete(*, vendor_id: UUID, listing_id: UUID) -> None:
    """Remove a listing and its stock history. Refused (409 ``listing_reserved``) while a
    pending checkout holds some of its stock. Publishes the vendor's product count when
    this was the product's last listing."""
    with transaction.atomic():
        # The vendor row first (as listing creation and store deletion take it): product
        # counts are then published in the order they were taken.
        Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        rows = listings_lock([listing_id])
        if not rows or rows[0].vendor_id != vendor_id:
            raise NotFoundError("No such listing.")
        listing = rows[0]
        if ReservationLine.objects.filter(
            listing=listing, reservation__status=ReservationStatus.ACTIVE
        ).exists():
            raise ConflictError(
                "A pending checkout holds stock of this listing; deactivate it instead, "
                "or wait for the checkout to finish.",
                code="listing_reserved",
            )
        publish(
            ListingRemoved(
                listing_id=listing.pk,
                product_id=listing.product_id,
                variant_id=listing.variant_id,
                store_id=listing.store_id,
            )
        )
        listing.delete()
        if not Listing.objects.filter(vendor_id=vendor_id, product_id=listing.product_id).exists():
            product_count_publish(vendor_id=vendor_id)


def listings_removed_with_store(*, store_id: UUID) -> int:
    """Announce the removal of a store's listings (call before deleting the store, in its
    transaction: the rows go with it). Returns how many there were."""
    rows = list(
        Listing.objects.filter(store_id=store_id)
        .order_by("id")
        .values_list("id", "product_id", "variant_id")
    )
    for listing_id, product_id, variant_id in rows:
        publish(
            ListingRemoved(
                listing_id=listing_id,
                product_id=product_id,
                variant_id=variant_id,
                store_id=store_id,
            )
        )
    return len(rows)
