"""The per-product, per-currency offer summary the product list joins: always what the
live offers say, after any sequence of snapshots and removals, and under concurrent
changes to offers of one product."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contexts.catalog import services
from contexts.catalog.models import Offer, OfferSummary
from contexts.catalog.tests.test_api import PRODUCTS, STORES, add_offer
from contexts.catalog.tests.test_concurrency import _wait_for_a_lock_waiter

pytestmark = [pytest.mark.integration]

PRODUCT_IDS = [uuid.UUID(int=1000 + n) for n in range(2)]
LISTINGS = [uuid.UUID(int=2000 + n) for n in range(4)]


def _snapshot(listing_id, product_id, *, price, currency="EUR", available=3, live=True, at=None):
    return services.OfferSnapshot(
        listing_id=listing_id,
        product_id=product_id,
        variant_id=uuid.uuid5(product_id, "variant"),
        store_id=listing_id,
        vendor_id=listing_id,
        price_minor=price,
        currency=currency,
        condition="new",
        available=available,
        is_purchasable=live,
        updated_at=at or timezone.now(),
    )


def _expected() -> set[tuple]:
    rows = (
        Offer.objects.filter(is_purchasable=True, is_removed=False)
        .order_by()
        .values("product_id", "currency")
        .annotate(
            low=Min("price_minor"),
            low_stocked=Min("price_minor", filter=Q(available__gt=0)),
            n=Count("*"),
            most=Max("available"),
        )
    )
    return {
        (r["product_id"], r["currency"], r["low"], r["low_stocked"], r["n"], r["most"])
        for r in rows
    }


def _stored() -> set[tuple]:
    return {
        (
            s.product_id,
            s.currency,
            s.min_price,
            s.min_in_stock_price,
            s.offer_count,
            s.max_available,
        )
        for s in OfferSummary.objects.all()
    }


_CHANGES = st.lists(
    st.tuples(
        st.sampled_from(LISTINGS),
        st.sampled_from(PRODUCT_IDS),  # a listing may move to another product (a merge)
        st.integers(min_value=1, max_value=5_000),
        st.sampled_from(["EUR", "USD"]),
        st.integers(min_value=0, max_value=4),
        st.booleans(),
        st.booleans(),  # remove instead
    ),
    max_size=12,
)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=_CHANGES)
def test_the_summary_is_what_the_live_offers_say(changes):
    with transaction.atomic():
        for listing, product, price, currency, available, live, remove in changes:
            if remove:
                services.offer_remove(
                    listing_id=listing,
                    product_id=product,
                    variant_id=uuid.uuid5(product, "variant"),
                    store_id=listing,
                    removed_at=timezone.now(),
                )
            else:
                services.offer_upsert(
                    snapshot=_snapshot(
                        listing,
                        product,
                        price=price,
                        currency=currency,
                        available=available,
                        live=live,
                    )
                )
        assert _stored() == _expected()
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks: PostgreSQL")
def test_concurrent_offers_of_one_product_both_count():
    """The first writer holds the product's summary lock until it commits; the second
    waits, then recomputes from committed rows, so neither offer is lost."""
    product = PRODUCT_IDS[0]
    services.offer_upsert(snapshot=_snapshot(LISTINGS[0], product, price=900))
    first_has_written = threading.Event()
    first_may_commit = threading.Event()
    errors: list[BaseException] = []

    def first_writer() -> None:
        try:
            with transaction.atomic():
                services.offer_upsert(snapshot=_snapshot(LISTINGS[1], product, price=500))
                first_has_written.set()
                first_may_commit.wait(timeout=10)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    def second_writer() -> None:
        try:
            services.offer_upsert(snapshot=_snapshot(LISTINGS[2], product, price=700, available=0))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=first_writer)
    first.start()
    assert first_has_written.wait(timeout=10)
    second = threading.Thread(target=second_writer)
    second.start()
    _wait_for_a_lock_waiter()
    first_may_commit.set()
    first.join(timeout=10)
    second.join(timeout=10)
    assert not errors
    summary = OfferSummary.objects.get(product_id=product, currency="EUR")
    assert (summary.offer_count, summary.min_price, summary.min_in_stock_price) == (3, 500, 500)
    assert _stored() == _expected()


@pytest.mark.django_db
def test_in_stock_and_currency_filters_read_the_summary(client, make_phone):
    """The list's from-price with ``in_stock`` is the lowest price among offers in stock,
    and ``currency`` keeps only products offered in it."""
    phone = make_phone("Summary Phone", variants=[("SUM-1", 64, "Black")], publish=True)
    variant = phone.variants.get()
    for store, price, currency, available in (
        (STORES[0], 300, "EUR", 0),
        (STORES[1], 450, "EUR", 2),
        (STORES[2], 999, "USD", 1),
    ):
        add_offer(phone, variant, store=store, price=price, currency=currency, available=available)

    def price_from(**params):
        data = client.get(PRODUCTS, params).json()["data"]
        return [(p["slug"], p["price_from"]) for p in data]

    assert price_from() == [(phone.slug, {"amount_minor": 300, "currency": "EUR"})]
    assert price_from(in_stock="true") == [(phone.slug, {"amount_minor": 450, "currency": "EUR"})]
    assert price_from(currency="USD") == [(phone.slug, {"amount_minor": 999, "currency": "USD"})]
    assert price_from(currency="GBP") == []
    assert price_from(sort="price", in_stock="true", currency="USD") == [
        (phone.slug, {"amount_minor": 999, "currency": "USD"})
    ]
