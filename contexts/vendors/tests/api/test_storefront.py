"""A store's public page: anonymous, only open stores of active vendors, with the
store's and the vendor's published ratings from the reviews context."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from django.test import TestCase

from contexts.vendors.models import OpeningState, Store, Vendor, VendorStatus
from tests.support.sellers import PASSWORD, make_user

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _page(api: Any, slug: str) -> Any:
    return api.get(f"/api/v1/vendors/storefronts/{slug}")


def _review(api: Any, subject_type: str, subject_id: UUID, rating: int) -> None:
    """A customer reviews the subject through the reviews API."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        _, email = make_user()  # an active customer (e-mail verified)
    login = api.post("/api/v1/auth/login", {"email": email, "password": PASSWORD}, format="json")
    assert login.status_code == 200, login.content
    token = login.json()["data"]["access_token"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        created = api.post(
            "/api/v1/reviews/create",
            {
                "subject_type": subject_type,
                "subject_id": str(subject_id),
                "rating": rating,
                "title": "Fine shop",
                "body": f"Quick delivery and well packed, {rating} stars from me.",
            },
            format="json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert created.status_code == 201, created.content


def test_an_open_store_shows_its_and_its_vendors_ratings_to_anyone(registered, api, settings):
    settings.REVIEWS_ALLOW_UNVERIFIED = True
    vendor, _ = registered(plan="growth")
    store_id = UUID(vendor["store"]["id"])
    vendor_id = UUID(vendor["vendor"]["id"])
    _review(api, "store", store_id, 5)
    _review(api, "store", store_id, 3)
    _review(api, "vendor", vendor_id, 4)

    response = _page(api, vendor["store"]["slug"])
    assert response.status_code == 200, response.content
    page = response.json()["data"]
    assert page["id"] == str(store_id) and page["listings_on_sale"] == 0
    assert page["rating"]["count"] == 2 and page["rating"]["average"] == 4.0
    assert page["rating"]["distribution"]["5"] == 1
    assert page["vendor"] == {
        "id": str(vendor_id),
        "name": vendor["vendor"]["legal_name"],
        "rating": {
            "average": 4.0,
            "count": 1,
            "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
        },
    }
    assert "contact_email" not in page and "address_line1" not in page


def test_closed_stores_suspended_vendors_and_unknown_slugs_are_not_found(registered, api):
    vendor, _ = registered(plan="growth")
    slug = vendor["store"]["slug"]
    assert _page(api, slug).status_code == 200
    Store.objects.filter(slug=slug).update(opening_state=OpeningState.CLOSED)
    closed = _page(api, slug)
    assert closed.status_code == 404
    assert closed.json()["error"]["code"] == "store_not_found"
    Store.objects.filter(slug=slug).update(opening_state=OpeningState.OPEN)
    Vendor.objects.filter(pk=vendor["vendor"]["id"]).update(status=VendorStatus.SUSPENDED)
    assert _page(api, slug).status_code == 404
    assert _page(api, "no-such-store").status_code == 404
    assert _page(api, "bad%20slug!").status_code == 404
