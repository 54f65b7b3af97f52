"""Racing deliveries on separate database connections (PostgreSQL, real commits)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from bazaar_platform.events.consumer import apply
from contexts.ledger import facade
from contexts.ledger.models import Posting
from contexts.ledger.tests import support

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WORKERS = 6


def race(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run each job in its own thread (so its own connection), all released at once."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = jobs[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_concurrent_refunds_of_one_vendor_order_never_reverse_more_than_its_sale():
    vendor = uuid.uuid4()
    vo = support.vendor_order(vendor_id=vendor, subtotal_minor=1_000)
    paid = support.order_paid(vo)
    apply("ledger.on_order_paid_post_sales", paid.to_message())
    refunds = [support.refund_issued(paid, vo, 400) for _ in range(WORKERS)]
    outcomes = race(
        [
            (lambda r=r: apply("ledger.on_refund_issued_post_reversal", r.to_message()).value)
            for r in refunds
        ]
    )
    assert outcomes == ["applied"] * WORKERS, outcomes
    postings = Posting.objects.filter(vendor_order_id=vo["vendor_order_id"], kind="refund")
    assert sorted(p.gross_minor for p in postings) == [-400, -400, -200]
    assert sum(p.commission_minor for p in postings) == -150  # all of it, no more
    assert facade.vendor_balance(vendor_id=vendor) == {"EUR": 0}


def test_one_sale_delivered_by_racing_events_is_posted_once():
    vendor = uuid.uuid4()
    vo = support.vendor_order(vendor_id=vendor, subtotal_minor=2_000)
    paid = support.order_paid(vo)
    copies = [paid.model_copy(update={"event_id": uuid.uuid4()}) for _ in range(WORKERS)]
    outcomes = race(
        [
            (lambda e=e: apply("ledger.on_order_paid_post_sales", e.to_message()).value)
            for e in copies
        ]
    )
    assert outcomes == ["applied"] * WORKERS, outcomes
    assert Posting.objects.filter(vendor_id=vendor).count() == 1
    assert facade.vendor_balance(vendor_id=vendor) == {"EUR": 1_700}
