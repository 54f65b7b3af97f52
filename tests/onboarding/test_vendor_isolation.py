"""A vendor cannot see or change another vendor's stores, staff, listings, stock,
subscriptions or payments:
every vendor-facing endpoint of the vendors, subscriptions and payments APIs, with the
other vendor's ids, answers 404 (or 403 for staff-only operations) and changes nothing;
every endpoint without an id shows the caller's own data only.

``test_every_endpoint_is_covered`` fails when an endpoint is added to one of those APIs
without a case here.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver
from PIL import Image

from contexts.payments.models import Payment
from contexts.subscriptions.models import Charge, Subscription
from contexts.vendors.models import Listing, StockMovement, Store, Vendor, VendorMember
from contexts.vendors.services.listings import ListingInput, listing_create
from contexts.vendors.tests import support
from tests.support.catalog import make_product

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# (method, path with {store}/{member}/{listing}/{subscription}/{payment}/{vendor} of the
# *other* vendor, body, expected status)
FOREIGN: list[tuple[str, str, Any, int]] = [
    ("get", "/api/v1/vendors/stores/{store}", None, 404),
    ("patch", "/api/v1/vendors/stores/{store}/update", {"name": "Pwned"}, 404),
    ("delete", "/api/v1/vendors/stores/{store}/delete", None, 404),
    ("put", "/api/v1/vendors/stores/{store}/logo", "logo", 404),
    ("delete", "/api/v1/vendors/stores/{store}/logo/delete", None, 404),
    ("patch", "/api/v1/vendors/staff/{member}/update", {"role": "manager"}, 404),
    ("delete", "/api/v1/vendors/staff/{member}/remove", None, 404),
    ("get", "/api/v1/vendors/listings/{listing}", None, 404),
    ("patch", "/api/v1/vendors/listings/{listing}/update", {"price_minor": 1}, 404),
    ("delete", "/api/v1/vendors/listings/{listing}/delete", None, 404),
    ("post", "/api/v1/vendors/listings/{listing}/stock/receive", {"quantity": 5}, 404),
    (
        "post",
        "/api/v1/vendors/listings/{listing}/stock/adjust",
        {"delta": -1, "reason": "theft"},
        404,
    ),
    ("get", "/api/v1/vendors/listings/{listing}/movements", None, 404),
    # a CSV naming the other vendor's listing: a row error, nothing applied
    ("post", "/api/v1/vendors/stock/import", "foreign-csv", 400),
    ("get", "/api/v1/vendors/admin/vendors", None, 403),
    ("post", "/api/v1/vendors/admin/vendors/{vendor}/suspend", {}, 403),
    ("post", "/api/v1/vendors/admin/vendors/{vendor}/reinstate", {}, 403),
    ("get", "/api/v1/subscriptions/{subscription}", None, 404),
    ("get", "/api/v1/subscriptions/{subscription}/charges", None, 404),
    ("post", "/api/v1/subscriptions/{subscription}/checkout", {}, 404),
    ("post", "/api/v1/subscriptions/{subscription}/change-plan", {"plan": "pro"}, 404),
    ("post", "/api/v1/subscriptions/{subscription}/cancel", {}, 404),
    ("post", "/api/v1/subscriptions/{subscription}/resume", {}, 404),
    ("post", "/api/v1/subscriptions/plans/create", {"code": "x"}, 403),
    ("patch", "/api/v1/subscriptions/plans/growth/update", {"max_stores": 99}, 403),
    ("get", "/api/v1/payments/{payment}", None, 404),
    ("post", "/api/v1/payments/{payment}/refunds", {"amount_minor": 1}, 403),
]

# (method, path, body): the caller's own scope; the answer must not mention the other vendor
OWN: list[tuple[str, str, Any]] = [
    ("get", "/api/v1/vendors/me", None),
    ("patch", "/api/v1/vendors/me/update", {"contact_phone": "+33 1 23 45 67 89"}),
    ("get", "/api/v1/vendors/stores", None),
    ("post", "/api/v1/vendors/stores/create", "new-store"),
    ("get", "/api/v1/vendors/staff", None),
    ("post", "/api/v1/vendors/staff/add", "new-member"),
    ("get", "/api/v1/vendors/listings", None),
    ("post", "/api/v1/vendors/listings/create", "new-listing"),
    ("get", "/api/v1/subscriptions/current", None),
    ("get", "/api/v1/subscriptions/usage", None),
]

# Not vendor-scoped: public, anonymous or gateway-facing.
PUBLIC = {
    "/api/v1/vendors/register",
    "/api/v1/vendors/storefronts/<slug:slug>",
    "/api/v1/subscriptions/plans",
    "/api/v1/payments/webhooks/<slug:gateway>",
    "/api/v1/payments/sandbox/<str:checkout_id>",
    "/api/v1/payments/sandbox/<str:checkout_id>/decision",
}


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "logo.png"
    return buffer


@pytest.fixture
def two_vendors(registered, api):
    mine, my_headers = registered(plan="growth")
    theirs, their_headers = registered(plan="growth")
    member = api.post(
        "/api/v1/vendors/staff/add",
        {"email": f"{support.unique('m')}@staff.test", "role": "staff"},
        format="json",
        **their_headers,
    )
    assert member.status_code == 201, member.content
    other_vendor = theirs["vendor"]["id"]
    product = make_product()
    listing = listing_create(
        vendor_id=other_vendor,
        data=ListingInput(
            store_id=theirs["store"]["id"],
            variant_id=product.variant_ids[0],
            price_minor=999,
            currency="EUR",
            initial_stock=3,
        ),
    )
    ids = {
        "vendor": other_vendor,
        "store": theirs["store"]["id"],
        "member": support.data(member)["id"],
        "listing": str(listing.pk),
        "subscription": theirs["subscription"]["id"],
        "payment": theirs["payment"]["payment_id"],
    }
    return my_headers, ids, mine


def _snapshot(vendor_id: str) -> dict[str, Any]:
    subs = list(Subscription.objects.filter(vendor_id=vendor_id))
    return {
        "vendor": model_to_dict(Vendor.objects.get(pk=vendor_id)),
        "stores": [
            model_to_dict(s, exclude=["logo"]) for s in Store.objects.filter(vendor_id=vendor_id)
        ],
        "logos": [s.logo.name for s in Store.objects.filter(vendor_id=vendor_id)],
        "members": [model_to_dict(m) for m in VendorMember.objects.filter(vendor_id=vendor_id)],
        "listings": [model_to_dict(x) for x in Listing.objects.filter(vendor_id=vendor_id)],
        "movements": [
            model_to_dict(m) for m in StockMovement.objects.filter(listing__vendor_id=vendor_id)
        ],
        "subscriptions": [model_to_dict(s) for s in subs],
        "charges": [model_to_dict(c) for c in Charge.objects.filter(subscription__in=subs)],
        "payments": [
            (p.pk, p.status, p.refunded_minor)
            for p in Payment.objects.filter(
                reference_id__in=[c.pk for c in Charge.objects.filter(subscription__in=subs)]
            )
        ],
    }


def _call(api, method: str, path: str, body: Any, headers: dict[str, str], ids=None):
    if body == "logo":
        return api.put(path, {"logo": _png()}, format="multipart", **headers)
    if body == "foreign-csv":
        csv_file = io.BytesIO(f"listing_id,quantity\n{ids['listing']},50\n".encode())
        csv_file.name = "stock.csv"
        return api.post(path, {"file": csv_file}, format="multipart", **headers)
    if body == "new-listing":
        body = {
            "store_id": ids["my_store"],
            "variant_id": str(make_product().variant_ids[0]),
            "price_minor": 1250,
            "currency": "EUR",
        }
    if body == "new-store":
        body = {"name": "Mine", "slug": support.unique("own"), "currency": "EUR"}
    if body == "new-member":
        body = {"email": f"{support.unique('own')}@staff.test", "role": "staff"}
    if body is None:
        return getattr(api, method)(path, **headers)
    return getattr(api, method)(path, body, format="json", **headers)


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), FOREIGN, ids=[f"{m} {p}" for m, p, _, _ in FOREIGN]
)
def test_another_vendors_ids_answer_not_found_and_change_nothing(
    api, two_vendors, method, path, body, expected
):
    headers, ids, _ = two_vendors
    before = _snapshot(ids["vendor"])
    response = _call(api, method, path.format(**ids), body, headers, ids)
    assert response.status_code == expected, response.content
    assert response.json()["data"] is None
    assert _snapshot(ids["vendor"]) == before


@pytest.mark.parametrize(("method", "path", "body"), OWN, ids=[f"{m} {p}" for m, p, _ in OWN])
def test_scope_free_endpoints_show_only_the_callers_vendor(api, two_vendors, method, path, body):
    headers, ids, mine = two_vendors
    before = _snapshot(ids["vendor"])
    response = _call(api, method, path, body, headers, {**ids, "my_store": mine["store"]["id"]})
    assert response.status_code in (200, 201), response.content
    text = response.content.decode()
    for value in ids.values():
        assert value not in text
    assert mine["vendor"]["id"] in text or path.endswith(
        ("/stores", "/staff", "/create", "/add", "/listings")
    )
    assert _snapshot(ids["vendor"]) == before


def _patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    found: list[str] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append("/" + prefix + str(entry.pattern))
    return found


def test_every_endpoint_is_covered():
    roots = ("/api/v1/vendors/", "/api/v1/subscriptions/", "/api/v1/payments/")
    endpoints = {p for p in _patterns(get_resolver()) if p.startswith(roots)}
    placeholders = {
        "{store}": "<uuid:store_id>",
        "{member}": "<uuid:member_id>",
        "{listing}": "<uuid:listing_id>",
        "{subscription}": "<uuid:subscription_id>",
        "{payment}": "<uuid:payment_id>",
        "{vendor}": "<uuid:vendor_id>",
        "growth": "<slug:code>",
    }

    def as_pattern(path: str) -> str:
        for placeholder, converter in placeholders.items():
            path = path.replace(placeholder, converter)
        return path

    covered = {as_pattern(p) for _, p, _, _ in FOREIGN} | {p for _, p, _ in OWN} | PUBLIC
    assert endpoints - covered == set(), "endpoints without an isolation case"
    assert covered - endpoints == set(), "cases for endpoints that do not exist"


def test_the_ids_used_are_real(two_vendors):
    _, ids, _ = two_vendors
    assert Store.objects.filter(pk=ids["store"]).exists()
    assert VendorMember.objects.filter(pk=ids["member"]).exists()
    assert Listing.objects.filter(pk=ids["listing"]).exists()
    assert Subscription.objects.filter(pk=ids["subscription"]).exists()
    assert Payment.objects.filter(pk=uuid.UUID(ids["payment"])).exists()
