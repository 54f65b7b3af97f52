"""Listings and the stock ledger through the services and the facade (real PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from bazaar_platform.events.models import OutboxMessage
from contexts.vendors import facade
from contexts.vendors.models import Listing, Reservation, StockMovement
from contexts.vendors.services import stock
from contexts.vendors.services.listings import (
    ListingInput,
    listing_create,
    listing_delete,
    listing_update,
)
from contexts.vendors.tasks import vendors_reservations_expire
from contexts.vendors.tests.stock_support import (
    ledger_totals,
    make_listing,
    make_seller,
)
from tests.support.catalog import make_product, unpublish

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _events(event_type: str) -> list[dict]:
    return [
        m.message["payload"]
        for m in OutboxMessage.objects.filter(event_type=event_type).order_by("id")
    ]


def _line(listing: Listing, quantity: int) -> facade.StockLine:
    return facade.StockLine(listing_id=listing.pk, quantity=quantity)


def test_listing_info_carries_price_availability_and_purchasability():
    seller = make_seller()
    product = make_product(name="Trail Shoe")
    listing = make_listing(seller, product=product, stock=7, price_minor=4500)
    info = facade.listings_get(listing_ids=[listing.pk, uuid.uuid4()])
    assert set(info) == {listing.pk}
    got = info[listing.pk]
    assert (got.price_minor, got.currency, got.available, got.is_purchasable) == (
        4500,
        "EUR",
        7,
        True,
    )
    assert got.title.startswith("Trail Shoe")
    assert got.product_id == product.product_id and got.variant_id == product.variant_ids[0]
    unpublish(product.product_id)
    assert facade.listings_get(listing_ids=[listing.pk])[listing.pk].is_purchasable is False


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"price_minor": 0}, "invalid_price"),
        ({"price_minor": -5}, "invalid_price"),
        ({"currency": "USD"}, "currency_mismatch"),
        ({"condition": "mint"}, "invalid_condition"),
        ({"variant_id": uuid.uuid4()}, "unknown_variant"),
    ],
)
def test_bad_listings_are_refused_and_nothing_is_written(overrides, code):
    seller = make_seller()
    product = make_product()
    data = {
        "store_id": seller.store.pk,
        "variant_id": product.variant_ids[0],
        "price_minor": 100,
        "currency": "EUR",
        **overrides,
    }
    with pytest.raises(ApplicationError) as caught:
        listing_create(vendor_id=seller.vendor.pk, data=ListingInput(**data))
    assert caught.value.code == code
    assert caught.value.status_code == 400
    assert not Listing.objects.filter(vendor=seller.vendor).exists()


def test_unpublished_variants_cannot_be_listed_and_duplicates_conflict():
    seller = make_seller()
    draft = make_product(publish=False)
    with pytest.raises(ApplicationError) as caught:
        make_listing(seller, product=draft)
    assert caught.value.code == "variant_not_purchasable"
    product = make_product()
    make_listing(seller, product=product)
    with pytest.raises(ConflictError) as dup:
        make_listing(seller, product=product)
    assert dup.value.code == "listing_exists"
    make_listing(seller, product=product, condition="used")  # another condition is fine


def test_the_plans_product_limit_counts_distinct_products(settings):
    settings.SUBSCRIPTIONS_DEFAULT_PLAN = "free"
    from contexts.subscriptions import facade as subscriptions

    limit = next(
        u.limit for u in subscriptions.usage_for(vendor_id=uuid.uuid4()) if u.resource == "products"
    )
    seller = make_seller()
    products = [make_product() for _ in range(limit)]
    for product in products:
        make_listing(seller, product=product)
    make_listing(seller, product=products[0], condition="used")  # same product: free
    with pytest.raises(ApplicationError) as caught:
        make_listing(seller)
    assert caught.value.code == "plan_limit_reached"
    assert caught.value.status_code == 403


def test_every_quantity_is_explained_by_the_ledger():
    seller = make_seller()
    listing = make_listing(seller, stock=10)
    stock.stock_receive(vendor_id=seller.vendor.pk, listing_id=listing.pk, quantity=5)
    stock.stock_adjust(
        vendor_id=seller.vendor.pk, listing_id=listing.pk, delta=-2, reason="damaged"
    )
    facade.stock_reserve(reference="r1", lines=[_line(listing, 4)])
    facade.stock_commit(reference="r1")
    facade.stock_reserve(reference="r2", lines=[_line(listing, 3)])
    facade.stock_release(reference="r2")
    facade.stock_return(listing_id=listing.pk, quantity=1, reference="ret-1")
    facade.stock_return(listing_id=listing.pk, quantity=1, reference="ret-1")  # idempotent
    listing.refresh_from_db()
    assert (listing.on_hand, listing.reserved) == (10 + 5 - 2 - 4 + 1, 0)
    assert ledger_totals(listing) == (listing.on_hand, listing.reserved)
    kinds = list(listing.movements.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        "received",
        "received",
        "adjusted",
        "reserved",
        "sold",
        "reserved",
        "released",
        "returned",
    ]


def test_adjustments_need_a_reason_and_cannot_go_below_reserved():
    seller = make_seller()
    listing = make_listing(seller, stock=5)
    with pytest.raises(ApplicationError) as no_reason:
        stock.stock_adjust(vendor_id=seller.vendor.pk, listing_id=listing.pk, delta=-1, reason=" ")
    assert no_reason.value.code == "reason_required"
    facade.stock_reserve(reference="hold", lines=[_line(listing, 4)])
    with pytest.raises(ConflictError) as below:
        stock.stock_adjust(vendor_id=seller.vendor.pk, listing_id=listing.pk, delta=-2, reason="x")
    assert below.value.code == "stock_below_reserved"
    other = make_seller()
    with pytest.raises(NotFoundError):
        stock.stock_receive(vendor_id=other.vendor.pk, listing_id=listing.pk, quantity=1)
    listing.refresh_from_db()
    assert (listing.on_hand, listing.reserved) == (5, 4)


def test_reserve_is_all_or_nothing():
    seller = make_seller()
    plenty = make_listing(seller, stock=10)
    scarce = make_listing(seller, stock=1)
    with pytest.raises(facade.OutOfStockError) as caught:
        facade.stock_reserve(reference="co-1", lines=[_line(plenty, 3), _line(scarce, 2)])
    assert caught.value.status_code == 409
    assert caught.value.details["lines"] == [
        {"listing_id": str(scarce.pk), "requested": 2, "available": 1}
    ]
    for row in (plenty, scarce):
        row.refresh_from_db()
        assert row.reserved == 0
    assert not Reservation.objects.filter(reference="co-1").exists()
    assert not StockMovement.objects.filter(kind="reserved").exists()


@pytest.mark.parametrize("quantity", [0, -1])
def test_reserve_refuses_bad_quantities_and_unknown_listings(quantity):
    seller = make_seller()
    listing = make_listing(seller)
    with pytest.raises(ApplicationError) as bad:
        facade.stock_reserve(reference="q", lines=[_line(listing, quantity)])
    assert (bad.value.status_code, bad.value.code) == (400, "invalid_quantity")
    with pytest.raises(ApplicationError) as unknown:
        facade.stock_reserve(
            reference="q", lines=[facade.StockLine(listing_id=uuid.uuid4(), quantity=1)]
        )
    assert (unknown.value.status_code, unknown.value.code) == (400, "unknown_listing")


def test_unpurchasable_listings_cannot_be_reserved():
    seller = make_seller()
    listing = make_listing(seller)
    listing_update(
        vendor_id=seller.vendor.pk, listing_id=listing.pk, changes={"status": "inactive"}
    )
    with pytest.raises(ApplicationError) as caught:
        facade.stock_reserve(reference="x", lines=[_line(listing, 1)])
    assert caught.value.code == "listing_not_purchasable"


def test_reserve_release_and_commit_are_idempotent():
    seller = make_seller()
    listing = make_listing(seller, stock=5)
    first = facade.stock_reserve(reference="order-1", lines=[_line(listing, 2), _line(listing, 1)])
    again = facade.stock_reserve(reference="order-1", lines=[_line(listing, 2)])
    assert first == again
    assert first.status == "active" and first.lines == (_line(listing, 3),)
    assert facade.listings_get(listing_ids=[listing.pk])[listing.pk].available == 2
    assert facade.stock_commit(reference="order-1") is True
    assert facade.stock_commit(reference="order-1") is True
    assert facade.stock_release(reference="order-1") is False
    assert facade.stock_release(reference="nope") is False
    assert facade.stock_commit(reference="nope") is False
    listing.refresh_from_db()
    assert (listing.on_hand, listing.reserved) == (2, 0)


def test_expiry_releases_stock_and_publishes_and_commit_retakes_it(settings):
    settings.VENDORS_RESERVATION_TTL_SECONDS = 60
    seller = make_seller()
    listing = make_listing(seller, stock=3)
    info = facade.stock_reserve(reference="late", lines=[_line(listing, 2)])
    assert timedelta(seconds=55) < info.expires_at - timezone.now() <= timedelta(seconds=60)
    facade.stock_reserve(reference="fresh", lines=[_line(listing, 1)], ttl_seconds=3600)
    Reservation.objects.filter(reference="late").update(expires_at=timezone.now())
    assert vendors_reservations_expire() == 1
    assert vendors_reservations_expire() == 0
    assert Reservation.objects.get(reference="late").status == "expired"
    assert Reservation.objects.get(reference="fresh").status == "active"
    assert _events("vendors.stock_reservation_expired") == [
        {"reference": "late", "lines": [{"listing_id": str(listing.pk), "quantity": 2}]}
    ]
    listing.refresh_from_db()
    assert (listing.on_hand, listing.reserved) == (3, 1)
    assert facade.stock_commit(reference="late") is True  # the stock is still there
    listing.refresh_from_db()
    assert (listing.on_hand, listing.reserved) == (1, 1)
    facade.stock_release(reference="fresh")
    facade.stock_reserve(reference="released", lines=[_line(listing, 1)])
    facade.stock_release(reference="released")
    facade.stock_reserve(reference="taker", lines=[_line(listing, 1)])
    with pytest.raises(facade.OutOfStockError):
        facade.stock_commit(reference="released")  # its stock went to "taker" meanwhile
    assert Reservation.objects.get(reference="released").status == "released"


def test_stock_low_is_published_once_when_crossing_the_threshold():
    seller = make_seller()
    listing = make_listing(seller, stock=5, threshold=2)
    facade.stock_reserve(reference="a", lines=[_line(listing, 2)])  # 3 left: above
    facade.stock_reserve(reference="b", lines=[_line(listing, 1)])  # 2 left: crosses
    facade.stock_reserve(reference="c", lines=[_line(listing, 1)])  # 1 left: already low
    lows = _events("vendors.stock_low")
    assert [(e["listing_id"], e["available"], e["threshold"]) for e in lows] == [
        (str(listing.pk), 2, 2)
    ]
    facade.stock_release(reference="a")  # back above
    facade.stock_reserve(reference="d", lines=[_line(listing, 3)])  # crosses again
    assert len(_events("vendors.stock_low")) == 2


def test_listing_snapshots_follow_price_stock_and_store_state():
    from contexts.vendors.services.stores import store_update

    seller = make_seller()
    listing = make_listing(seller, stock=4)
    listing_update(vendor_id=seller.vendor.pk, listing_id=listing.pk, changes={"price_minor": 1500})
    facade.stock_reserve(reference="snap", lines=[_line(listing, 1)])
    store_update(
        vendor_id=seller.vendor.pk, store_id=seller.store.pk, changes={"opening_state": "closed"}
    )
    snapshots = [
        (e["price_minor"], e["available"], e["is_purchasable"])
        for e in _events("vendors.listing_updated")
        if e["listing_id"] == str(listing.pk)
    ]
    assert snapshots == [(1999, 4, True), (1500, 4, True), (1500, 3, True), (1500, 3, False)]


def test_a_reserved_listing_cannot_be_deleted_then_its_removal_is_published():
    seller = make_seller()
    listing = make_listing(seller, stock=4)
    facade.stock_reserve(reference="busy", lines=[_line(listing, 1)])
    with pytest.raises(ConflictError) as caught:
        listing_delete(vendor_id=seller.vendor.pk, listing_id=listing.pk)
    assert caught.value.code == "listing_reserved"
    facade.stock_release(reference="busy")
    listing_delete(vendor_id=seller.vendor.pk, listing_id=listing.pk)
    assert not Listing.objects.filter(pk=listing.pk).exists()
    assert _events("vendors.listing_removed")[-1]["listing_id"] == str(listing.pk)
