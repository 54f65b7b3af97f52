"""Listings follow a catalogue merge (``catalog.products_merged``).

Staff folded duplicate products into a target product; every variant of the duplicates
now has an id on the target (itself, or the target variant it duplicated). Each listing
of a merged product is re-pointed to the target product and its mapped variant. When the
same store already lists that variant in the same condition (one listing per store,
variant and condition), the existing listing survives: the duplicate's free stock moves
into it through the ledger (an ``adjusted`` movement out of one and into the other, both
naming the merge), and the duplicate is removed. A duplicate some pending checkout still
holds stock of is not removed under it: its free stock moves, it is deactivated and
re-pointed to the target product (keeping its old variant id, which the catalogue no
longer sells), so the checkout can still commit or release its units; the vendor moves
or deletes what comes back.

Applying the same merge twice changes nothing more (listings already on the target are
left alone), and each vendor's product count is published afterwards (two products
becoming one lowers it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

import structlog
from django.db import transaction
from django.db.models import Q

from bazaar_platform.events import publish
from contexts.catalog import facade as catalog
from contexts.vendors.events import ListingRemoved
from contexts.vendors.models import (
    Listing,
    ListingStatus,
    MovementKind,
    ReservationLine,
    ReservationStatus,
    Vendor,
)
from contexts.vendors.services.listing_events import listings_publish
from contexts.vendors.services.listings import listing_title, product_count_publish
from contexts.vendors.services.stock import listings_lock, movement_apply

log = structlog.get_logger("bazaar.vendors.merges")


@dataclass
class MergeOutcome:
    """Listing ids by what happened to them."""

    repointed: list[UUID] = field(default_factory=list)
    folded: list[UUID] = field(default_factory=list)  # stock moved, listing removed
    parked: list[UUID] = field(default_factory=list)  # held by a checkout: deactivated
    received: list[UUID] = field(default_factory=list)  # surviving listings that took stock


def _held(listing: Listing) -> bool:
    return listing.reserved > 0 or (
        ReservationLine.objects.filter(
            listing=listing, reservation__status=ReservationStatus.ACTIVE
        ).exists()
    )


def listings_follow_merge(
    *,
    target_product_id: UUID,
    merged_product_ids: Iterable[UUID],
    variant_id_map: Mapping[str, UUID],
) -> MergeOutcome:
    """Re-point the listings of merged products (see the module's docstring)."""
    variant_map = {UUID(str(old)): UUID(str(new)) for old, new in variant_id_map.items()}
    merged = set(merged_product_ids)
    outcome = MergeOutcome()
    affected = Listing.objects.filter(Q(product_id__in=merged) | Q(variant_id__in=variant_map))
    with transaction.atomic():
        # Vendors first, then listings (the order listing creation and deletion take them).
        vendor_ids = list(
            Vendor.objects.select_for_update()
            .filter(pk__in=affected.values("vendor_id"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not vendor_ids:
            return outcome
        rows = list(affected.values_list("pk", "store_id"))
        stores = {store_id for _, store_id in rows}
        survivors = Listing.objects.filter(
            store_id__in=stores, variant_id__in=set(variant_map.values())
        ).values_list("pk", flat=True)
        locked = {row.pk: row for row in listings_lock({pk for pk, _ in rows} | set(survivors))}
        slots = {(r.store_id, r.variant_id, r.condition): r for r in locked.values()}
        titles = {
            v.variant_id: listing_title(v)
            for v in catalog.variant_lookup(set(variant_map.values())).values()
        }
        reference = f"catalog-merge:{target_product_id}"
        touched: dict[UUID, Listing] = {}
        duplicates = sorted(
            (r for r in locked.values() if r.product_id in merged or r.variant_id in variant_map),
            key=lambda r: (r.created_at, r.pk),
        )
        for dup in duplicates:
            new_variant = variant_map.get(dup.variant_id, dup.variant_id)
            if dup.product_id == target_product_id and dup.variant_id == new_variant:
                continue  # already follows the merge
            old_product = dup.product_id
            survivor = slots.get((dup.store_id, new_variant, dup.condition))
            if survivor is None or survivor.pk == dup.pk:
                del slots[(dup.store_id, dup.variant_id, dup.condition)]
                dup.product_id, dup.variant_id = target_product_id, new_variant
                dup.title = titles.get(new_variant, dup.title)
                dup.save(update_fields=["product_id", "variant_id", "title", "updated_at"])
                slots[(dup.store_id, new_variant, dup.condition)] = dup
                touched[dup.pk] = dup
                outcome.repointed.append(dup.pk)
                continue
            free = dup.on_hand - dup.reserved
            if free > 0:
                note = f"catalogue merge of product {old_product} into {target_product_id}"
                movement_apply(
                    dup,
                    kind=MovementKind.ADJUSTED,
                    on_hand_delta=-free,
                    reason=f"{note}: moved to listing {survivor.pk}",
                    reference=reference,
                    low_stock_alert=False,
                )
                movement_apply(
                    survivor,
                    kind=MovementKind.ADJUSTED,
                    on_hand_delta=free,
                    reason=f"{note}: from listing {dup.pk}",
                    reference=reference,
                )
                touched[survivor.pk] = survivor
                outcome.received.append(survivor.pk)
            if _held(dup):
                # A pending checkout holds some of it: not removed under the checkout.
                # Its old variant id stays (the target variant's slot is taken).
                if free > 0 or (dup.product_id, dup.status) != (
                    target_product_id,
                    ListingStatus.INACTIVE,
                ):
                    dup.product_id, dup.status = target_product_id, ListingStatus.INACTIVE
                    dup.save(update_fields=["product_id", "status", "updated_at"])
                    touched[dup.pk] = dup
                outcome.parked.append(dup.pk)
                continue
            publish(
                ListingRemoved(
                    listing_id=dup.pk,
                    product_id=old_product,
                    variant_id=dup.variant_id,
                    store_id=dup.store_id,
                )
            )
            del slots[(dup.store_id, dup.variant_id, dup.condition)]
            touched.pop(dup.pk, None)
            outcome.folded.append(dup.pk)
            dup.delete()
        listings_publish(sorted(touched.values(), key=lambda r: r.pk))
        for vendor_id in vendor_ids:
            product_count_publish(vendor_id=vendor_id)
    log.info(
        "listings_followed_merge",
        target_product_id=str(target_product_id),
        repointed=len(outcome.repointed),
        folded=len(outcome.folded),
        parked=len(outcome.parked),
    )
    return outcome
