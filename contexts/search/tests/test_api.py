"""The HTTP API: envelope, filters, bad input as 4xx, constant query count, the staff
query log, recommendations endpoints."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contexts.auth import facade as auth
from contexts.search.models import SearchQueryStat

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SEARCH = "/api/v1/search/products/"
SUGGEST = "/api/v1/search/suggestions/"
STAFF = "/api/v1/search/staff/queries/"


def _login(client, email: str, *, admin: bool) -> uuid.UUID:
    user_id = auth.user_create_or_get(
        email=email, full_name="Test", password="a-long-passphrase-42"
    )
    if admin:
        auth.role_grant(user_id=user_id, role="admin")
    client.force_login(get_user_model().objects.get(pk=user_id))
    return user_id


@pytest.fixture
def phones(index, offer):
    ids = []
    for i in range(3):
        pid = index(
            f"Acme Phone X{i}", attributes={"colour": ["Black"], "storage_gb": [64 * (i + 1)]}
        )
        offer(pid, price=10_000 * (i + 1))
        ids.append(pid)
    ids.append(index("Lumen Desk Lamp", brand="Lumen", category="lighting"))
    return ids


def test_search_answers_in_the_envelope_with_facets(client, phones):
    response = client.get(SEARCH, {"q": "phone", "attr_colour": "black", "sort": "price_desc"})
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["total"] == 3
    assert [r["name"] for r in data["results"]] == [
        "Acme Phone X2",
        "Acme Phone X1",
        "Acme Phone X0",
    ]
    assert data["results"][0]["best_price_minor"] == 30_000
    assert data["facets"]["brands"] == [{"value": "acme", "name": "Acme", "count": 3}]
    assert {f["value"] for f in data["facets"]["attributes"]["storage_gb"]} == {"64", "128", "192"}
    assert data["corrected_query"] is None


def test_a_typo_comes_back_corrected(client, phones):
    data = client.get(SEARCH, {"q": "phnoe"}).json()["data"]
    assert data["corrected_query"] == "phone"
    assert data["total"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x" * 201}, "q"),
        ({"price_min": "-1"}, "price_min"),
        ({"price_min": "500", "price_max": "100"}, "price_min"),
        ({"price_max": "cheap"}, "price_max"),
        ({"rating_min": "6"}, "rating_min"),
        ({"sort": "random"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1000"}, "limit"),
        ({"offset": "-5"}, "offset"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"category": "no such"}, "category"),
        ({"category": "gardening"}, "category"),
        ({"brand": "nobody"}, "brand"),
        ({"attr_nonexistent": "1"}, "attr_nonexistent"),
        ({"attr_colour": ""}, "attr_colour"),
        ({"colour": "black"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, phones, params, field):
    response = client.get(SEARCH, params)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "q", ["", "   ", "&|!():*", "phone:* & !lamp", "'; drop table x; --", "ф" * 200]
)
def test_hostile_or_empty_queries_never_fail(client, phones, q):
    response = client.get(SEARCH, {"q": q})
    assert response.status_code == 200, response.content


def test_query_count_does_not_grow_with_results(client, index, phones):
    def queries(params):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(SEARCH, params).status_code == 200
        return len(ctx)

    index("Extra Lamp", category="lighting", attributes={"colour": ["Black"]})
    small = queries({"q": "lamp", "attr_colour": "black"})
    for i in range(15):
        index(
            f"Extra Lamp {i}", category="lighting", attributes={"colour": ["Black"], "power_w": [i]}
        )
    assert queries({"q": "lamp", "attr_colour": "black"}) == small
    assert small <= 9


def test_a_repeated_search_is_served_from_the_cache_until_the_read_model_changes(
    client, index, offer, phones
):
    def search(q):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(SEARCH, {"q": q, "sort": "price_asc"})
        assert response.status_code == 200, response.content
        return response.json()["data"], len(ctx)

    first, computed = search("phone")
    again, cached = search("phone")
    assert again == first
    assert cached == 1  # only the query log's upsert: no count, page or facet query
    shouted, _ = search("  PHONE ")  # another spelling is its own entry, the same answer
    assert {**shouted, "query": "phone"} == first
    assert SearchQueryStat.objects.get(query="phone").searches == 3
    # a new product, then a cheaper offer: each change is visible at the next search
    cheap = index("Acme Phone Mini")
    after_index, _ = search("phone")
    assert after_index["total"] == 4
    offer(cheap, price=500)
    after_offer, recomputed = search("phone")
    assert after_offer["results"][0]["best_price_minor"] == 500
    assert recomputed == computed


def test_suggestions_endpoint(client, phones):
    data = client.get(SUGGEST, {"q": "pho"}).json()["data"]
    assert data["completions"][0] == "phone"
    assert len(data["products"]) == 3
    assert client.get(SUGGEST, {"q": "x" * 500}).status_code == 400
    assert client.get(SUGGEST).status_code == 400


def test_zero_result_and_popular_queries_are_visible_to_staff_only(client, phones):
    client.get(SEARCH, {"q": "phone"})
    client.get(SEARCH, {"q": "Phone"})
    client.get(SEARCH, {"q": "unicorn saddle"})
    assert SearchQueryStat.objects.get(query="phone").searches == 2
    assert client.get(STAFF).status_code in (401, 403)
    _login(client, "customer@example.com", admin=False)
    assert client.get(STAFF).status_code == 403
    _login(client, "staff@example.com", admin=True)
    popular = client.get(STAFF).json()["data"]
    assert popular[0]["query"] == "phone" and popular[0]["searches"] == 2
    zero = client.get(STAFF, {"kind": "zero_results"}).json()["data"]
    assert [z["query"] for z in zero] == ["unicorn saddle"]


def test_the_admin_lists_zero_result_queries(admin_client, phones):
    admin_client.get(SEARCH, {"q": "phone"})
    admin_client.get(SEARCH, {"q": "unicorn saddle"})
    page = admin_client.get("/admin/search/searchquerystat/", {"results": "zero"})
    assert page.status_code == 200
    listing = page.content.split(b'id="result_list"')[-1]
    assert b"unicorn saddle" in listing and b">phone<" not in listing
    assert admin_client.get("/admin/search/searchdocument/").status_code == 200


def test_recommendation_endpoints(client, phones):
    product = phones[0]
    for kind in ("bought-together", "similar"):
        url = f"/api/v1/search/recommendations/products/{product}/{kind}/"
        data = client.get(url, {"limit": 2}).json()["data"]
        assert len(data["results"]) == 2
        assert str(product) not in {r["product_id"] for r in data["results"]}
        missing = f"/api/v1/search/recommendations/products/{uuid.uuid4()}/{kind}/"
        assert client.get(missing).status_code == 404
    assert client.get("/api/v1/search/recommendations/trending/", {"limit": "x"}).status_code == 400
    assert (
        len(client.get("/api/v1/search/recommendations/trending/").json()["data"]["results"]) == 4
    )
    assert client.get("/api/v1/search/recommendations/for-you/").status_code in (401, 403)
    _login(client, "new.customer@example.com", admin=False)
    data = client.get("/api/v1/search/recommendations/for-you/").json()["data"]
    assert data["kind"] == "for_you" and len(data["results"]) == 4
