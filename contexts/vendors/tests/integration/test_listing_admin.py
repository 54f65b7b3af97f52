"""Listings and stock in the vendor admin site (own rows only, writes through the services)
and in the staff admin (read-only)."""

from __future__ import annotations

import pytest

from contexts.vendors.models import Listing, StockMovement, VendorMember
from contexts.vendors.services.listings import ListingInput, listing_create
from contexts.vendors.tests.integration.test_vendor_admin import browser
from tests.support.catalog import make_product

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _listing(result, title: str, stock: int = 3) -> Listing:
    product = make_product(name=title)
    return listing_create(
        vendor_id=result["vendor"]["id"],
        data=ListingInput(
            store_id=result["store"]["id"],
            variant_id=product.variant_ids[0],
            price_minor=1500,
            currency="EUR",
            initial_stock=stock,
        ),
    )


@pytest.fixture
def two(registered):
    mine, _ = registered(plan="growth")
    theirs, _ = registered(plan="growth")
    email = VendorMember.objects.get(vendor_id=mine["vendor"]["id"]).email
    return mine, theirs, browser(email)


def test_vendors_see_and_open_only_their_listings_and_movements(two):
    mine, theirs, client = two
    own = _listing(mine, "Own Kettle")
    other = _listing(theirs, "Their Toaster")
    page = client.get("/vendor-admin/vendors/listing/").content.decode()
    assert "Own Kettle" in page and "Their Toaster" not in page
    assert client.get(f"/vendor-admin/vendors/listing/{own.pk}/change/").status_code == 200
    assert client.get(f"/vendor-admin/vendors/listing/{other.pk}/change/").status_code == 302
    history = client.get("/vendor-admin/vendors/stockmovement/").content.decode()
    assert "Own Kettle" in history and "Their Toaster" not in history


def test_listings_are_created_and_edited_through_the_services(two):
    mine, _, client = two
    product = make_product(name="Admin Lamp")
    response = client.post(
        "/vendor-admin/vendors/listing/add/",
        {
            "store": mine["store"]["id"],
            "variant_id": str(product.variant_ids[0]),
            "price_minor": 4200,
            "currency": "EUR",
            "condition": "new",
            "status": "active",
            "sku": "",
            "low_stock_threshold": 1,
            "initial_stock": 6,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    listing = Listing.objects.get(variant_id=product.variant_ids[0])
    assert (listing.on_hand, listing.title) == (6, "Admin Lamp Size 0")
    refused = client.post(
        "/vendor-admin/vendors/listing/add/",
        {
            "store": mine["store"]["id"],
            "variant_id": str(make_product().variant_ids[0]),
            "price_minor": 100,
            "currency": "USD",
            "condition": "new",
            "status": "active",
            "low_stock_threshold": 1,
            "initial_stock": 0,
        },
        follow=True,
    )
    assert "sells in EUR" in refused.content.decode()
    assert Listing.objects.count() == 1
    changed = client.post(
        f"/vendor-admin/vendors/listing/{listing.pk}/change/",
        {
            "price_minor": 3900,
            "condition": "new",
            "status": "active",
            "sku": "L-1",
            "low_stock_threshold": 1,
        },
    )
    assert changed.status_code == 302, changed.content.decode()[:3000]
    listing.refresh_from_db()
    assert (listing.price_minor, listing.sku) == (3900, "L-1")


def test_stock_is_received_and_adjusted_from_the_movement_page(two):
    mine, theirs, client = two
    own = _listing(mine, "Own Chair", stock=2)
    other = _listing(theirs, "Their Desk")
    received = client.post(
        "/vendor-admin/vendors/stockmovement/add/",
        {"listing": own.pk, "kind": "received", "quantity": 5, "reason": "delivery"},
    )
    assert received.status_code == 302, received.content.decode()[:3000]
    refused = client.post(
        "/vendor-admin/vendors/stockmovement/add/",
        {"listing": own.pk, "kind": "adjusted", "quantity": -1, "reason": ""},
        follow=True,
    )
    assert "reason is required" in refused.content.decode()
    foreign = client.post(
        "/vendor-admin/vendors/stockmovement/add/",
        {"listing": other.pk, "kind": "received", "quantity": 5, "reason": "x"},
    )
    assert foreign.status_code == 200  # the form refuses a listing that is not the vendor's
    own.refresh_from_db()
    other.refresh_from_db()
    assert (own.on_hand, other.on_hand) == (7, 3)
    assert StockMovement.objects.filter(listing=own).count() == 2


def test_staff_admin_lists_listings_movements_and_reservations(admin_client, registered):
    mine, _ = registered(plan="growth")
    listing = _listing(mine, "Staff View Clock")
    for url in (
        "/admin/vendors/listing/",
        "/admin/vendors/stockmovement/",
        "/admin/vendors/reservation/",
        f"/admin/vendors/listing/{listing.pk}/change/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    assert "Staff View Clock" in admin_client.get("/admin/vendors/listing/").content.decode()
