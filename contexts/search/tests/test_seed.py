"""``seed_demo``'s search part rebuilds what the event log holds and is idempotent."""

from __future__ import annotations

import io
import uuid

import pytest

from bazaar_platform.events import publish
from bazaar_platform.seeding import SeedContext
from contexts.orders.events import OrderPaid
from contexts.search.models import PurchaseLine, SearchDocument
from contexts.search.seed import seed_demo_search
from contexts.search.tests.conftest import snapshot

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_the_seeder_rebuilds_from_the_log_once():
    # published in the test's transaction: no handler ran (nothing committed)
    event = snapshot("Logged Phone")
    publish(event)
    publish(
        OrderPaid(
            order_id=uuid.uuid4(),
            customer_user_id=uuid.uuid4(),
            currency="EUR",
            total_minor=1,
            lines=[{"product_id": str(event.product_id), "quantity": 2}],
            payment_id=uuid.uuid4(),
            vendor_orders=[],
        )
    )
    assert not SearchDocument.objects.exists()
    out = io.StringIO()
    seed_demo_search(SeedContext(out=out))
    doc = SearchDocument.objects.get(pk=event.product_id)
    assert (doc.is_published, doc.units_sold) == (True, 2)
    assert PurchaseLine.objects.count() == 1
    assert "seed search index" in out.getvalue()
    seed_demo_search(SeedContext(out=io.StringIO(), quiet=True))
    assert SearchDocument.objects.count() == 1 and PurchaseLine.objects.count() == 1
