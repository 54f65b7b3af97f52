"""Every subscriptions event round-trips through JSON (no database)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from bazaar_platform.events.registry import decode
from contexts.subscriptions.events import ALL_EVENTS

pytestmark = pytest.mark.unit

SAMPLES: dict[Any, Any] = {
    uuid.UUID: uuid.uuid4(),
    str: "growth",
    bool: True,
    datetime: datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
    datetime | None: None,
}


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.event_type)
def test_events_round_trip_through_json(cls):
    values = {
        name: SAMPLES[info.annotation]
        for name, info in cls.model_fields.items()
        if name not in ("event_id", "occurred_at")
    }
    event = cls(**values)
    message = json.loads(json.dumps(event.to_message()))
    assert message["event_type"].startswith("subscriptions.")
    assert message["aggregate_id"] == str(values["vendor_id"])
    assert decode(message) == event
