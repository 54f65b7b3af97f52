"""Listings, stock movements and the CSV stock import through the vendors API."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model

from contexts.vendors.models import Listing, StockMovement
from contexts.vendors.tests import support
from tests.support.catalog import make_product

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

BASE = "/api/v1/vendors"


def _create(api, headers, store_id, **fields):
    body = {
        "store_id": store_id,
        "variant_id": str(make_product().variant_ids[0]),
        "price_minor": 2500,
        "currency": "EUR",
        **fields,
    }
    return api.post(f"{BASE}/listings/create", body, format="json", **headers)


def _csv(text: str) -> io.BytesIO:
    buffer = io.BytesIO(text.encode())
    buffer.name = "stock.csv"
    return buffer


def _import(api, headers, text: str):
    return api.post(f"{BASE}/stock/import", {"file": _csv(text)}, format="multipart", **headers)


@pytest.fixture
def vendor(api, registered):
    result, headers = registered(plan="growth")
    return result["store"]["id"], headers


def test_listing_lifecycle_and_stock_history(api, vendor):
    store_id, headers = vendor
    listing = support.data(_create(api, headers, store_id, initial_stock=4, sku="MY-1"))
    assert (listing["available"], listing["sku"], listing["status"]) == (4, "MY-1", "active")
    path = f"{BASE}/listings/{listing['id']}"
    received = api.post(f"{path}/stock/receive", {"quantity": 6}, format="json", **headers)
    assert support.data(received)["on_hand_after"] == 10
    adjusted = api.post(
        f"{path}/stock/adjust", {"delta": -3, "reason": "water damage"}, format="json", **headers
    )
    assert support.data(adjusted)["reason"] == "water damage"
    updated = api.patch(f"{path}/update", {"price_minor": 1999}, format="json", **headers)
    assert support.data(updated)["price_minor"] == 1999
    assert support.data(api.get(path, **headers))["on_hand"] == 7
    history = support.data(api.get(f"{path}/movements", **headers))
    assert [(m["kind"], m["on_hand_delta"]) for m in history] == [
        ("adjusted", -3),
        ("received", 6),
        ("received", 4),
    ]
    assert [x["id"] for x in support.data(api.get(f"{BASE}/listings", **headers))] == [
        listing["id"]
    ]
    filtered = api.get(f"{BASE}/listings", {"store_id": "nope"}, **headers)
    assert support.error(filtered)["code"] == "invalid_filter"
    assert api.delete(f"{path}/delete", **headers).status_code == 204
    assert not Listing.objects.filter(pk=listing["id"]).exists()


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"price_minor": 0}, 400, "invalid_price"),
        ({"price_minor": -100}, 400, "invalid_price"),
        ({"currency": "USD"}, 400, "currency_mismatch"),
        ({"currency": "XXZ"}, 400, "validation_error"),
        ({"condition": "broken"}, 400, "validation_error"),
        ({"surprise": 1}, 400, "validation_error"),
    ],
)
def test_bad_listing_input_is_a_clear_4xx(api, vendor, fields, status, code):
    store_id, headers = vendor
    response = _create(api, headers, store_id, **fields)
    assert response.status_code == status, response.content
    assert support.error(response)["code"] == code
    assert not Listing.objects.exists()


def test_bad_stock_input_is_refused(api, vendor):
    store_id, headers = vendor
    listing = support.data(_create(api, headers, store_id, initial_stock=2))
    path = f"{BASE}/listings/{listing['id']}/stock"
    for url, body in [
        ("receive", {"quantity": 0}),
        ("receive", {"quantity": "many"}),
        ("adjust", {"delta": -1}),
        ("adjust", {"delta": 0, "reason": "zero"}),
    ]:
        response = api.post(f"{path}/{url}", body, format="json", **headers)
        assert response.status_code == 400, (url, body, response.content)
    too_much = api.post(f"{path}/adjust", {"delta": -5, "reason": "lost"}, format="json", **headers)
    assert too_much.status_code == 409
    assert support.error(too_much)["code"] == "stock_below_reserved"
    assert StockMovement.objects.filter(listing_id=listing["id"]).count() == 1


def test_staff_members_may_move_stock_but_not_edit_listings(api, vendor):
    store_id, headers = vendor
    listing = support.data(_create(api, headers, store_id))
    email = f"{support.unique('st')}@staff.test"
    added = api.post(
        f"{BASE}/staff/add", {"email": email, "role": "staff"}, format="json", **headers
    )
    assert added.status_code == 201, added.content
    # the member would choose a password through the e-mailed link; here: set one directly
    user = get_user_model().objects.get(pk=support.data(added)["user_id"])
    user.set_password(support.PASSWORD)
    user.save()
    staff = support.login(api, email)
    path = f"{BASE}/listings/{listing['id']}"
    assert (
        api.post(f"{path}/stock/receive", {"quantity": 1}, format="json", **staff).status_code
        == 201
    )
    assert (
        api.patch(f"{path}/update", {"price_minor": 1}, format="json", **staff).status_code == 403
    )


def test_csv_import_applies_every_row(api, vendor):
    store_id, headers = vendor
    a = support.data(_create(api, headers, store_id, initial_stock=5, sku="A-1"))
    b = support.data(_create(api, headers, store_id, initial_stock=5))
    support.data(_create(api, headers, store_id, initial_stock=5, sku="C-1"))
    response = _import(
        api,
        headers,
        "sku,listing_id,quantity,mode,reason\r\n"
        "A-1,,12,,stock take\r\n"
        f",{b['id']},3,receive,\r\n"
        "C-1,,5,set,\r\n",
    )
    assert support.data(response) == {"rows": 3, "changed": 2, "unchanged": 1}
    on_hand = dict(Listing.objects.values_list("sku", "on_hand"))
    assert (on_hand["A-1"], on_hand["C-1"]) == (12, 5)
    assert Listing.objects.get(pk=b["id"]).on_hand == 8
    assert StockMovement.objects.filter(listing_id=a["id"], reason="stock take").exists()


def test_csv_import_reports_every_bad_row_and_applies_none(api, vendor):
    store_id, headers = vendor
    support.data(_create(api, headers, store_id, initial_stock=5, sku="A-1"))
    before = list(StockMovement.objects.values_list("id", flat=True))
    response = _import(
        api,
        headers,
        "sku,quantity,mode\nA-1,9,set\nNOPE,1,set\nA-1,2,receive\nA-1,x,set\nA-1,1,teleport\n"
        "A-1,1\n",
    )
    assert response.status_code == 400, response.content
    error = support.error(response)
    assert error["code"] == "import_rows_invalid"
    assert [r["row"] for r in error["rows"]] == [3, 4, 5, 6, 7]
    assert list(StockMovement.objects.values_list("id", flat=True)) == before
    assert Listing.objects.get(sku="A-1").on_hand == 5


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "malformed_csv"),
        (b"quantity\n1\n", "malformed_csv"),
        (b"sku,quantity,colour\nA,1,red\n", "malformed_csv"),
        (b"sku,quantity\n", "malformed_csv"),
        (b"\xff\xfe\x00b\x00a\x00d", "malformed_csv"),
        (b'sku,quantity\n"A-1,1\n', "malformed_csv"),
    ],
)
def test_malformed_csv_is_a_400(api, vendor, content, code):
    _, headers = vendor
    upload = io.BytesIO(content)
    upload.name = "x.csv"
    response = api.post(f"{BASE}/stock/import", {"file": upload}, format="multipart", **headers)
    assert response.status_code == 400, response.content
    assert support.error(response)["code"] == code


def test_csv_import_size_limits(api, vendor, settings):
    store_id, headers = vendor
    support.data(_create(api, headers, store_id, sku="A-1"))
    settings.VENDORS_STOCK_IMPORT_MAX_ROWS = 2
    rows = _import(api, headers, "sku,quantity\nA-1,1\nA-1,2\nA-1,3\n")
    assert support.error(rows)["code"] == "import_too_many_rows"
    settings.VENDORS_STOCK_IMPORT_MAX_BYTES = 20
    big = _import(api, headers, "sku,quantity\nA-1,1\nA-1,2\n")
    assert big.status_code == 413
    assert support.error(big)["code"] == "import_too_large"
    missing = api.post(f"{BASE}/stock/import", {}, format="multipart", **headers)
    assert missing.status_code == 400


def _products_used(api, headers) -> int:
    usage = support.data(api.get("/api/v1/subscriptions/usage", **headers))
    return next(r["used"] for r in usage["resources"] if r["resource"] == "products")


def test_usage_counts_the_distinct_products_listed(api, vendor):
    store_id, headers = vendor
    kettle, lamp = make_product(variants=2), make_product()
    assert _products_used(api, headers) == 0
    made = [
        support.data(_create(api, headers, store_id, variant_id=str(variant)))
        for variant in (*kettle.variant_ids, lamp.variant_ids[0])
    ]
    assert _products_used(api, headers) == 2  # three listings, two products
    lamp_listing = made[2]
    assert api.delete(f"{BASE}/listings/{lamp_listing['id']}/delete", **headers).status_code == 204
    assert _products_used(api, headers) == 1
    assert api.delete(f"{BASE}/listings/{made[0]['id']}/delete", **headers).status_code == 204
    assert _products_used(api, headers) == 1  # the kettle is still listed (other variant)
