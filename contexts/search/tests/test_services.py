"""The read model follows the events: snapshots, offers, ratings, paid orders, and a
rebuild from the event log gives the same documents."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command

from bazaar_platform.events import publish
from contexts.catalog.events import ProductUnpublished, ProductUpdated
from contexts.orders.events import OrderPaid
from contexts.reviews.events import RatingSummaryChanged
from contexts.search import handlers, services
from contexts.search.models import (
    CoPurchase,
    PurchaseLine,
    SearchDocument,
    SearchQueryStat,
    SearchTerm,
)
from contexts.search.tests.conftest import T0, snapshot
from contexts.vendors.events import ListingRemoved

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_published_snapshot_becomes_a_searchable_document(index):
    pid = index(
        "Acme Phone X1",
        attributes={"colour": ["Red", "Blue"], "storage_gb": [128], "wireless_charging": [True]},
    )
    doc = SearchDocument.objects.get(pk=pid)
    assert doc.is_published
    assert doc.category_path_text == "/electronics/phones/"
    assert doc.category_text == "Electronics Phones"
    assert doc.attribute_values == {
        "colour": ["Blue", "Red"],
        "storage_gb": [128],
        "wireless_charging": [True],
    }
    assert doc.facet_terms == "|colour=blue|colour=red|storage_gb=128|wireless_charging=true|"
    assert "wireless charging" in doc.attribute_text
    assert doc.search_vector is not None
    assert set(SearchTerm.objects.filter(documents__gt=0).values_list("term", flat=True)) >= {
        "acme",
        "phone",
        "x1",
        "electronics",
        "phones",
    }


def test_an_older_snapshot_never_rolls_a_document_back(index):
    pid = index("Acme Phone X2", updated_at=T0 + timedelta(hours=1))
    handlers.on_product_updated_index(
        snapshot("Acme Phone X2", product_id=pid, cls=ProductUpdated, updated_at=T0).model_copy(
            update={"name": "Stale name"}
        )
    )
    assert SearchDocument.objects.get(pk=pid).name == "Acme Phone X2"


def test_unpublish_hides_and_gives_back_the_vocabulary(index):
    pid = index("Zyxel Lantern")
    assert SearchTerm.objects.get(term="zyxel").documents == 1
    handlers.on_product_unpublished_hide(ProductUnpublished(product_id=pid, slug="zyxel-lantern"))
    handlers.on_product_unpublished_hide(ProductUnpublished(product_id=pid, slug="zyxel-lantern"))
    assert not SearchDocument.objects.get(pk=pid).is_published
    assert SearchTerm.objects.get(term="zyxel").documents == 0
    handlers.on_product_updated_index(
        snapshot("Zyxel Lantern", product_id=pid, cls=ProductUpdated, updated_at=T0 + timedelta(1))
    )
    assert SearchDocument.objects.get(pk=pid).is_published
    assert SearchTerm.objects.get(term="zyxel").documents == 1


def test_best_offer_is_the_cheapest_in_stock_then_the_cheapest(index, offer):
    pid = index("Acme Kettle")
    cheap_empty = offer(pid, price=1_000, available=0)
    offer(pid, price=3_000, available=2)
    offer(pid, price=500, available=9, purchasable=False)
    doc = SearchDocument.objects.get(pk=pid)
    assert (doc.best_price_minor, doc.in_stock, doc.offer_count, doc.currency) == (
        3_000,
        True,
        2,
        "EUR",
    )
    offer(pid, price=2_000, available=4, listing_id=cheap_empty, updated_at=T0 + timedelta(1))
    assert SearchDocument.objects.get(pk=pid).best_price_minor == 2_000
    # an older snapshot of that listing changes nothing
    offer(pid, price=1, available=4, listing_id=cheap_empty, updated_at=T0)
    assert SearchDocument.objects.get(pk=pid).best_price_minor == 2_000


def test_removed_and_sold_out_offers(index, offer):
    pid = index("Acme Toaster")
    only = offer(pid, price=2_500, available=0)
    doc = SearchDocument.objects.get(pk=pid)
    assert (doc.best_price_minor, doc.in_stock) == (2_500, False)
    event = ListingRemoved(
        listing_id=only, product_id=pid, variant_id=uuid.uuid4(), store_id=uuid.uuid4()
    )
    handlers.on_listing_removed_drop_offer(event)
    handlers.on_listing_removed_drop_offer(event)
    doc = SearchDocument.objects.get(pk=pid)
    assert (doc.best_price_minor, doc.in_stock, doc.offer_count) == (None, False, 0)


def test_an_offer_before_the_product_waits_unpublished(offer, index):
    pid = uuid.uuid5(uuid.NAMESPACE_URL, "Early Bird Lamp")
    offer(pid, price=4_200)
    assert not SearchDocument.objects.get(pk=pid).is_published
    index("Early Bird Lamp", category="lighting")
    doc = SearchDocument.objects.get(pk=pid)
    assert (doc.is_published, doc.best_price_minor) == (True, 4_200)


def test_product_ratings_only(index, rate):
    pid = index("Acme Blender", category="kitchen")
    rate(pid, 4.5, 2)
    handlers.on_rating_summary_changed_set_rating(
        RatingSummaryChanged(
            subject_type="store", subject_id=pid, average=1.0, count=9, distribution={}
        )
    )
    doc = SearchDocument.objects.get(pk=pid)
    assert (doc.rating_average, doc.rating_count) == (4.5, 2)
    late = RatingSummaryChanged(
        subject_type="product", subject_id=pid, average=1.0, count=1, distribution={}
    )
    rate(pid, 0.0, 0)
    assert SearchDocument.objects.get(pk=pid).rating_average is None
    handlers.on_rating_summary_changed_set_rating(late)  # published before the last one
    assert SearchDocument.objects.get(pk=pid).rating_count == 0


def _paid(customer, *products, order_id=None, quantity=1):
    return OrderPaid(
        order_id=order_id or uuid.uuid4(),
        customer_user_id=customer,
        currency="EUR",
        total_minor=1000,
        lines=[
            {"line_id": str(uuid.uuid4()), "product_id": str(p), "quantity": quantity}
            for p in products
        ],
        payment_id=uuid.uuid4(),
        vendor_orders=[],
    )


def test_paid_orders_count_co_purchases_once(index):
    a, b, c = index("Alpha Phone"), index("Beta Case"), index("Gamma Charger")
    alice = uuid.uuid4()
    first = _paid(alice, a, b, quantity=2)
    handlers.on_order_paid_record_purchases(first)
    handlers.on_order_paid_record_purchases(first)  # redelivered: no double count
    handlers.on_order_paid_record_purchases(_paid(alice, c))

    def pair(x, y):
        row = CoPurchase.objects.get(product_id=x, other_product_id=y)
        return row.orders, row.customers

    assert pair(a, b) == pair(b, a) == (1, 1)
    assert pair(a, c) == pair(c, a) == (0, 1)
    assert PurchaseLine.objects.count() == 3
    assert SearchDocument.objects.get(pk=a).units_sold == 2


def test_queries_are_logged_without_personal_data(db):
    services.query_record(q="  Red  Shoes ", result_count=3)
    services.query_record(q="red shoes", result_count=0)
    services.query_record(q="order for jane.doe@example.com 0612345678", result_count=0)
    red = SearchQueryStat.objects.get(query="red shoes")
    assert (red.searches, red.zero_result_searches, red.last_result_count) == (2, 1, 0)
    masked = SearchQueryStat.objects.exclude(pk=red.pk).get()
    assert masked.query == "order for [email] [number]"


def test_reindex_rebuilds_the_same_documents_from_the_event_log(
    django_capture_on_commit_callbacks, offer
):
    """The real path: catalogue events published through the outbox reach the handler
    after commit; ``reindex`` empties the read model and replays them."""
    event = snapshot("Replay Phone", attributes={"colour": ["Black"]})
    with django_capture_on_commit_callbacks(execute=True):
        publish(event)
    offer(event.product_id, price=9_900)
    before = SearchDocument.objects.get(pk=event.product_id)
    assert before.is_published
    services.read_model_clear()
    assert not SearchDocument.objects.exists()
    call_command("reindex", "--no-progress", stdout=io.StringIO())
    after = SearchDocument.objects.get(pk=event.product_id)
    assert (after.name, after.facet_terms, after.is_published) == (
        before.name,
        before.facet_terms,
        True,
    )
    assert SearchTerm.objects.get(term="replay").documents == 1
