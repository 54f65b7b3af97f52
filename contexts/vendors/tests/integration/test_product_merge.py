"""Listings follow a catalogue merge (``catalog.products_merged``), and the vendor's product
count feeds the subscriptions usage read model. Real catalogue services make and merge the
products; events are dispatched in-process after commit (real PostgreSQL)."""

from __future__ import annotations

import pytest

from bazaar_platform.events.models import OutboxMessage
from contexts.subscriptions import facade as subscriptions
from contexts.vendors import facade
from contexts.vendors.models import Listing, StockMovement
from contexts.vendors.services.merges import listings_follow_merge
from contexts.vendors.services.stores import store_create, store_delete
from contexts.vendors.services.vendors import StoreInput
from contexts.vendors.tests.stock_support import Seller, ledger_totals, make_listing, make_seller
from contexts.vendors.tests.support import committed
from tests.support.catalog import CatalogProduct, make_duplicate, make_product, merge

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _inprocess(settings):
    settings.EVENT_DISPATCH = "inprocess"


def _products_used(vendor_id) -> int:
    return next(
        u.used for u in subscriptions.usage_for(vendor_id=vendor_id) if u.resource == "products"
    )


def _list(seller: Seller, product: CatalogProduct, variant: int = 0, **kw) -> Listing:
    one = CatalogProduct(product.product_id, (product.variant_ids[variant],), product.name)
    with committed():
        return make_listing(seller, product=one, **kw)


def _payloads(event_type: str) -> list[dict]:
    return [
        m.message["payload"]
        for m in OutboxMessage.objects.filter(event_type=event_type).order_by("id")
    ]


def test_listings_of_merged_products_point_at_the_target_and_the_count_drops():
    seller = make_seller()
    target = make_product(variants=2)
    duplicate = make_duplicate(target, sizes=(0, 7))  # size 0 duplicates, size 7 is new
    on_target = _list(seller, target, 1)
    collapsed = _list(seller, duplicate, 0, stock=4)
    moved = _list(seller, duplicate, 1, stock=2)
    assert _products_used(seller.vendor.pk) == 2
    with committed():
        variant_map = merge(target, duplicate)
    collapsed.refresh_from_db()
    moved.refresh_from_db()
    on_target.refresh_from_db()
    assert (collapsed.product_id, collapsed.variant_id) == (
        target.product_id,
        target.variant_ids[0],
    )
    assert variant_map[duplicate.variant_ids[1]] == duplicate.variant_ids[1]
    assert (moved.product_id, moved.variant_id) == (target.product_id, duplicate.variant_ids[1])
    assert (on_target.product_id, on_target.variant_id) == (
        target.product_id,
        target.variant_ids[1],
    )
    assert (collapsed.on_hand, moved.on_hand) == (4, 2)  # no stock moved: no conflict
    assert collapsed.title.startswith(target.name)
    assert _products_used(seller.vendor.pk) == 1
    info = facade.listings_get(listing_ids=[collapsed.pk, moved.pk])
    assert all(i.is_purchasable for i in info.values())  # on sale again
    snapshots = {p["listing_id"]: p for p in _payloads("vendors.listing_updated")}
    assert snapshots[str(collapsed.pk)]["variant_id"] == str(target.variant_ids[0])
    assert snapshots[str(moved.pk)]["product_id"] == str(target.product_id)
    assert _payloads("vendors.product_count_changed")[-1] == {
        "vendor_id": str(seller.vendor.pk),
        "product_count": 1,
    }


def test_applying_the_same_merge_again_changes_nothing():
    seller = make_seller()
    target = make_product()
    duplicate = make_duplicate(target, sizes=(0,))
    _list(seller, target, stock=3)
    dup = _list(seller, duplicate, stock=5)
    with committed():
        variant_map = merge(target, duplicate)
    assert not Listing.objects.filter(pk=dup.pk).exists()
    movements, messages = StockMovement.objects.count(), OutboxMessage.objects.count()
    before = list(Listing.objects.filter(vendor=seller.vendor).values())
    with committed():
        outcome = listings_follow_merge(
            target_product_id=target.product_id,
            merged_product_ids=[duplicate.product_id],
            variant_id_map={str(k): v for k, v in variant_map.items()},
        )
    assert (outcome.repointed, outcome.folded, outcome.parked, outcome.received) == ([], [], [], [])
    assert StockMovement.objects.count() == movements
    assert list(Listing.objects.filter(vendor=seller.vendor).values()) == before
    # only the (unchanged) product count is published again
    assert set(
        OutboxMessage.objects.order_by("id")[messages:].values_list("event_type", flat=True)
    ) <= {"vendors.product_count_changed"}


def test_a_duplicate_of_a_listed_variant_gives_its_stock_to_the_existing_listing():
    seller = make_seller()
    target = make_product()
    duplicate = make_duplicate(target, sizes=(0,))
    survivor = _list(seller, target, stock=3, price_minor=2000)
    dup = _list(seller, duplicate, stock=5, price_minor=1500)
    used = _list(seller, duplicate, stock=1, condition="used")  # another condition: no clash
    with committed():
        merge(target, duplicate)
    assert not Listing.objects.filter(pk=dup.pk).exists()
    survivor.refresh_from_db()
    used.refresh_from_db()
    assert (survivor.on_hand, survivor.price_minor) == (8, 2000)  # its price stays
    assert ledger_totals(survivor) == (8, 0)
    last = survivor.movements.order_by("-id").first()
    assert last is not None
    assert (last.kind, last.on_hand_delta) == ("adjusted", 5)
    assert "catalogue merge" in last.reason and str(dup.pk) in last.reason
    assert (used.variant_id, used.on_hand) == (target.variant_ids[0], 1)
    removed = _payloads("vendors.listing_removed")
    assert [p["listing_id"] for p in removed] == [str(dup.pk)]
    assert not _payloads("vendors.stock_low")  # the retired listing raises no alert
    assert _products_used(seller.vendor.pk) == 1


def test_a_duplicate_held_by_a_checkout_gives_its_free_stock_and_waits_inactive():
    seller = make_seller()
    target = make_product()
    duplicate = make_duplicate(target, sizes=(0,))
    survivor = _list(seller, target, stock=3)
    dup = _list(seller, duplicate, stock=5)
    with committed():
        facade.stock_reserve(
            reference="merge-held", lines=[facade.StockLine(listing_id=dup.pk, quantity=2)]
        )
    with committed():
        merge(target, duplicate)
    dup.refresh_from_db()
    survivor.refresh_from_db()
    assert (dup.on_hand, dup.reserved, dup.status) == (2, 2, "inactive")
    assert (dup.product_id, dup.variant_id) == (target.product_id, duplicate.variant_ids[0])
    assert (survivor.on_hand, ledger_totals(survivor)) == (6, (6, 0))
    assert ledger_totals(dup) == (2, 2)
    assert _products_used(seller.vendor.pk) == 1
    assert facade.listings_get(listing_ids=[dup.pk])[dup.pk].is_purchasable is False
    with committed():
        assert facade.stock_commit(reference="merge-held") is True  # the checkout completes
    dup.refresh_from_db()
    assert (dup.on_hand, dup.reserved) == (0, 0)


def test_removing_a_store_recounts_the_products(settings):
    settings.SUBSCRIPTIONS_DEFAULT_PLAN = "growth"  # two stores
    seller = make_seller()
    with committed():
        second = store_create(
            vendor_id=seller.vendor.pk,
            data=StoreInput(name="Second", slug=f"second-{seller.store.slug}", currency="EUR"),
        )
    first_product, second_product = make_product(), make_product()
    _list(seller, first_product)
    with committed():
        make_listing(Seller(seller.vendor, second), product=second_product)
    assert _products_used(seller.vendor.pk) == 2
    with committed():
        store_delete(vendor_id=seller.vendor.pk, store_id=second.pk)
    assert _products_used(seller.vendor.pk) == 1
