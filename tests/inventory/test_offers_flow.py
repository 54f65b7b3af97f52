"""From a vendor's listing to the catalogue's product page: the vendors context publishes
listing snapshots, the catalogue's handlers keep its offers read model, the browsing API
shows them. Real services on both sides, in-process event dispatch after commit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from contexts.catalog import services as catalog_services
from contexts.catalog.models import Offer
from contexts.vendors import facade as vendors
from contexts.vendors.services.listings import listing_delete, listing_update
from contexts.vendors.services.stores import store_update
from contexts.vendors.tests.stock_support import make_listing, make_seller
from tests.support.catalog import make_duplicate, make_product, merge

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _inprocess(settings):
    settings.EVENT_DISPATCH = "inprocess"


def committed():
    return TestCase.captureOnCommitCallbacks(execute=True)


def _detail(client, slug: str) -> dict:
    response = client.get(f"/api/v1/catalog/products/{slug}/")
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_listings_become_offers_on_the_product_page(client):
    product = make_product(name="Flow Kettle")
    slug = catalog_services.selectors.product_get(product_id=product.product_id).slug
    first, second = make_seller(), make_seller()
    with committed():
        dear = make_listing(first, product=product, price_minor=3000, stock=4)
    with committed():
        cheap = make_listing(second, product=product, price_minor=2500, stock=1)
    offers = _detail(client, slug)["variants"][0]["offers"]
    assert [(o["listing_id"], o["price_minor"], o["available"]) for o in offers] == [
        (str(cheap.pk), 2500, 1),
        (str(dear.pk), 3000, 4),
    ]
    assert offers[0]["store_name"] == second.store.name
    with committed():
        vendors.stock_reserve(
            reference="flow", lines=[vendors.StockLine(listing_id=cheap.pk, quantity=1)]
        )
    assert Offer.objects.get(pk=cheap.pk).available == 0
    listed = client.get("/api/v1/catalog/products/", {"in_stock": "true", "q": "Flow"}).json()
    # in stock only: the cheapest offer is all reserved, the "from" price is the next one
    assert listed["data"][0]["price_from"] == {"amount_minor": 3000, "currency": "EUR"}
    with committed():
        store_update(
            vendor_id=first.vendor.pk, store_id=first.store.pk, changes={"opening_state": "closed"}
        )
    assert [o["listing_id"] for o in _detail(client, slug)["variants"][0]["offers"]] == [
        str(cheap.pk)
    ]
    with committed():
        vendors.stock_release(reference="flow")
    with committed():
        listing_update(
            vendor_id=second.vendor.pk, listing_id=cheap.pk, changes={"price_minor": 2000}
        )
    with committed():
        listing_delete(vendor_id=second.vendor.pk, listing_id=cheap.pk)
    assert _detail(client, slug)["variants"][0]["offers"] == []
    assert Offer.objects.get(pk=cheap.pk).is_removed


def test_offers_follow_a_catalogue_merge_to_the_target_product(client):
    target = make_product(name="Merge Kettle")
    duplicate = make_duplicate(target, sizes=(0,))
    first, second = make_seller(), make_seller()
    with committed():
        kept = make_listing(first, product=target, price_minor=3000, stock=2)
    with committed():
        folded = make_listing(first, product=duplicate, price_minor=2800, stock=3)
    with committed():
        moved = make_listing(second, product=duplicate, price_minor=2500, stock=1)
    with committed():
        merge(target, duplicate)
    slug = catalog_services.selectors.product_get(product_id=target.product_id).slug
    offers = _detail(client, slug)["variants"][0]["offers"]
    # the second store's listing now offers the target variant; the first store's duplicate
    # folded its stock into the listing it already had
    assert [(o["listing_id"], o["price_minor"], o["available"]) for o in offers] == [
        (str(moved.pk), 2500, 1),
        (str(kept.pk), 3000, 5),
    ]
    assert Offer.objects.get(pk=folded.pk).is_removed
    assert Offer.objects.get(pk=moved.pk).product_id == target.product_id


def test_stale_and_repeated_snapshots_are_ignored():
    listing_id, product_id, variant_id, store_id = (uuid.uuid4() for _ in range(4))
    now = timezone.now()

    def snapshot(price: int, at):
        return catalog_services.OfferSnapshot(
            listing_id=listing_id,
            product_id=product_id,
            variant_id=variant_id,
            store_id=store_id,
            vendor_id=store_id,
            price_minor=price,
            currency="EUR",
            condition="new",
            available=3,
            is_purchasable=True,
            updated_at=at,
        )

    assert catalog_services.offer_upsert(snapshot=snapshot(200, now)) is True
    assert (
        catalog_services.offer_upsert(snapshot=snapshot(100, now - timedelta(seconds=1))) is False
    )
    assert Offer.objects.get(pk=listing_id).price_minor == 200
    catalog_services.offer_remove(
        listing_id=listing_id,
        product_id=product_id,
        variant_id=variant_id,
        store_id=store_id,
        removed_at=now + timedelta(seconds=1),
    )
    assert catalog_services.offer_upsert(snapshot=snapshot(300, now)) is False  # redelivered
    offer = Offer.objects.get(pk=listing_id)
    assert (offer.is_removed, offer.is_live) == (True, False)
