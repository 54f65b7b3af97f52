"""The browsing-response cache: a repeat is answered without the database, every kind of
catalogue write makes the next answer fresh, and a reader racing a writer's commit
cannot pin a stale page."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from contexts.catalog import services
from contexts.catalog.tests.test_api import PRODUCTS, STORES, add_offer

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

CATEGORIES = "/api/v1/catalog/categories/"


@pytest.fixture
def two_phones(make_phone):
    first = make_phone("Acme One", variants=[("ONE-1", 64, "Black")], publish=True)
    second = make_phone("Acme Two", variants=[("TWO-1", 128, "White")], publish=True)
    return first, second


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["data"]]


@pytest.mark.parametrize("url", [PRODUCTS, f"{PRODUCTS}acme-one/", CATEGORIES])
def test_a_repeat_is_answered_from_the_cache_without_sql(
    client, two_phones, django_assert_num_queries, url
):
    first = client.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = client.get(url)
    assert again.status_code == 200
    assert again.json()["data"] == first.json()["data"]
    assert again.json()["meta"].get("pagination") == first.json()["meta"].get("pagination")
    assert again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"]
    assert again["X-Request-ID"] != first["X-Request-ID"]  # each answer is its own
    with django_assert_num_queries(0):
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_each_query_and_host_has_its_own_entry(client, two_phones, settings):
    settings.ALLOWED_HOSTS = ["testserver", "shop.example", "api.example"]
    newest = _names(client.get(PRODUCTS))
    by_name = _names(client.get(PRODUCTS, {"sort": "name"}))
    assert newest == ["Acme Two", "Acme One"]
    assert by_name == ["Acme One", "Acme Two"]
    limited = client.get(PRODUCTS, {"limit": 1}, HTTP_HOST="shop.example")
    assert limited.json()["meta"]["pagination"]["next"].startswith("http://shop.example/")
    other_host = client.get(PRODUCTS, {"limit": 1}, HTTP_HOST="api.example")
    assert other_host.json()["meta"]["pagination"]["next"].startswith("http://api.example/")


def test_refusals_are_not_cached(client, two_phones, django_assert_max_num_queries):
    assert client.get(PRODUCTS, {"category": "nowhere"}).status_code == 400
    assert client.get(f"{PRODUCTS}no-such-phone/").status_code == 404
    services.category_create(name="Nowhere")
    assert client.get(PRODUCTS, {"category": "nowhere"}).status_code == 200


@pytest.mark.parametrize(
    "change",
    ["service", "offer", "rating", "category_move", "merge", "admin_delete"],
)
def test_every_kind_of_write_refreshes_the_answer(client, two_phones, tree, change):
    first, second = two_phones
    url = CATEGORIES if change == "category_move" else PRODUCTS
    before = client.get(url)
    assert before.status_code == 200
    if change == "service":
        services.product_update(product_id=first.pk, name="Acme One Plus")
    elif change == "offer":
        add_offer(first, first.variants.first(), store=STORES[0], price=999)
    elif change == "rating":  # QuerySet.update: no signal, the service invalidates
        assert services.product_rating_set(
            product_id=first.pk, average=4.5, count=2, as_of=timezone.now()
        )
    elif change == "category_move":
        services.category_update(category_id=tree.smartphones.pk, parent_id=tree.home.pk)
    elif change == "merge":
        services.products_merge(target_product_id=first.pk, duplicate_product_ids=[second.pk])
    elif change == "admin_delete":  # a staff delete in the admin: the model's signal
        second.delete()
    after = client.get(url)
    assert after.status_code == 200
    assert after.json()["data"] != before.json()["data"]
    assert after["ETag"] != before["ETag"]


def test_cache_off_builds_every_answer(client, two_phones, settings, django_assert_num_queries):
    settings.CATALOG_RESPONSE_CACHE_SECONDS = 0
    client.get(PRODUCTS)
    with django_assert_num_queries(7):
        assert client.get(PRODUCTS).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_reader_racing_the_commit_does_not_pin_a_stale_page(client, make_phone):
    """The writer replaces the revision at once, so a reader on another connection
    rebuilds the page, from the rows before the commit; after the commit the revision
    moves again and the next reader sees the change."""
    phone = make_phone("Racing Phone", variants=[("RACE-1", 64, "Black")], publish=True)
    assert _names(client.get(PRODUCTS)) == ["Racing Phone"]
    seen_during: list[list[str]] = []

    def concurrent_reader() -> None:
        try:
            seen_during.append(_names(client.get(PRODUCTS)))
        finally:
            connection.close()

    with transaction.atomic():
        services.product_update(product_id=phone.pk, name="Racing Phone Renamed")
        reader = threading.Thread(target=concurrent_reader)
        reader.start()
        reader.join(timeout=30)
    assert seen_during == [["Racing Phone"]]  # the other connection saw the old row
    assert _names(client.get(PRODUCTS)) == ["Racing Phone Renamed"]


def test_an_entry_expires_after_its_lifetime(client, two_phones, settings):
    """A write that bypasses the catalogue (here a raw update standing for a restored
    database) is seen once the entry's lifetime has passed."""
    settings.CATALOG_RESPONSE_CACHE_SECONDS = 1
    first, _ = two_phones
    assert _names(client.get(PRODUCTS))[1] == "Acme One"
    type(first).objects.filter(pk=first.pk).update(name="Acme One Restored")
    assert _names(client.get(PRODUCTS))[1] == "Acme One"  # cached, as designed
    deadline = timezone.now() + timedelta(seconds=10)
    while _names(client.get(PRODUCTS))[1] != "Acme One Restored":
        assert timezone.now() < deadline, "the cached entry outlived its lifetime"
        time.sleep(0.05)


def test_another_process_learns_a_new_revision_without_asking(client, two_phones):
    """Two caches of one namespace stand for two processes: they share only Redis. A
    write in one is announced over pub/sub; the other then knows the new revision from
    memory, and its next answer is rebuilt."""
    from bazaar_platform.api.response_cache import ResponseCache
    from contexts.catalog.cache import browse_cache

    other_process = ResponseCache("catalog", timeout_setting="CATALOG_RESPONSE_CACHE_SECONDS")
    try:
        client.get(PRODUCTS)
        deadline = time.monotonic() + 10
        while not browse_cache._listener.listening:  # subscribed after the first request
            assert time.monotonic() < deadline, "never subscribed"
            time.sleep(0.02)
        before = browse_cache.revision()
        other_process.invalidate()
        while browse_cache._known_revision == before:
            assert time.monotonic() < deadline, "the announcement never arrived"
            time.sleep(0.02)
        assert browse_cache.revision() == other_process.revision()
    finally:
        other_process._listener.stop()
        ResponseCache._instances.remove(other_process)
