"""Checkouts racing for the same stock, with real commits: each thread on its own
PostgreSQL connection. No oversell, never negative stock, the ledger still adds up."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection

from contexts.vendors import facade
from contexts.vendors.models import Listing, Reservation
from contexts.vendors.tests.stock_support import ledger_totals, make_listing, make_seller
from tests.support.subscriptions import ensure_plans

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks: the test profile's PostgreSQL"
    ),
]


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=20)
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    close_old_connections()
    return results


@pytest.fixture
def listings() -> list[Listing]:
    ensure_plans()
    seller = make_seller()
    return [make_listing(seller, stock=5, threshold=0) for _ in range(3)]


def test_concurrent_checkouts_never_oversell(listings):
    rng = random.Random(7)

    def checkout(n: int) -> Callable[[], Any]:
        # Lines in a random order, so only the services' stable lock order avoids deadlocks.
        chosen = rng.sample(listings, k=rng.randint(1, 3))
        lines = [facade.StockLine(listing_id=row.pk, quantity=rng.randint(1, 2)) for row in chosen]
        return lambda: facade.stock_reserve(reference=f"race-{n}", lines=lines)

    outcomes = race([checkout(n) for n in range(12)])
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(e, facade.OutOfStockError) for e in errors), errors
    won = [o for o in outcomes if isinstance(o, facade.ReservationInfo)]
    assert won and errors  # 12 checkouts of 1-6 units over 15 units: some must lose
    held: dict[Any, int] = {}
    for reservation in won:
        for line in reservation.lines:
            held[line.listing_id] = held.get(line.listing_id, 0) + line.quantity
    for row in listings:
        row.refresh_from_db()
        assert row.reserved == held.get(row.pk, 0) <= row.on_hand == 5
        assert ledger_totals(row) == (row.on_hand, row.reserved)
    assert Reservation.objects.count() == len(won)


def _held(listing: Listing, status: str) -> int:
    return sum(
        line.quantity
        for r in Reservation.objects.filter(status=status).prefetch_related("lines")
        for line in r.lines.all()
        if line.listing_id == listing.pk
    )


def test_concurrent_commits_releases_and_reserves_keep_stock_consistent(listings):
    first, second, _ = listings
    for reference in ("r0", "r1"):
        facade.stock_reserve(
            reference=reference, lines=[facade.StockLine(listing_id=first.pk, quantity=2)]
        )
    calls: list[Callable[[], Any]] = []
    for reference in ("r0", "r1"):
        calls.append(lambda r=reference: facade.stock_commit(reference=r))
        calls.append(lambda r=reference: facade.stock_release(reference=r))
    for n, quantity in enumerate((1, 2, 1)):
        lines = [
            facade.StockLine(listing_id=first.pk, quantity=quantity),
            facade.StockLine(listing_id=second.pk, quantity=1),
        ]
        calls.append(
            lambda n=n, lines=lines: facade.stock_reserve(reference=f"new{n}", lines=lines)
        )
    outcomes = race(calls)
    unexpected = [
        o
        for o in outcomes
        if isinstance(o, Exception) and not isinstance(o, facade.OutOfStockError)
    ]
    assert not unexpected, unexpected
    for row in (first, second):
        row.refresh_from_db()
        assert 0 <= row.reserved <= row.on_hand
        assert ledger_totals(row) == (row.on_hand, row.reserved)
        assert row.reserved == _held(row, "active")
        assert row.on_hand == 5 - _held(row, "committed")
