"""The ledger's published event round-trips through JSON."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from bazaar_platform.events.registry import decode
from contexts.ledger.events import EntriesPosted

pytestmark = pytest.mark.unit


def test_entries_posted_round_trips_through_its_message():
    event = EntriesPosted(
        posting_id=uuid.uuid4(),
        posting_kind="sale",
        vendor_id=uuid.uuid4(),
        store_id=None,
        order_id=uuid.uuid4(),
        vendor_order_id=uuid.uuid4(),
        refund_id=None,
        currency="EUR",
        commission_rate_bp=1_000,
        entries={"gross_sale": 1_000, "commission": 100, "vendor_earnings": 900},
        effective_at=timezone.now(),
    )
    assert decode(event.to_message()) == event
