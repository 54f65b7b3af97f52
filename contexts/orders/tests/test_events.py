"""Every orders event round-trips through JSON (the wire and outbox form)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from bazaar_platform.events.base import IntegrationEvent
from bazaar_platform.events.registry import decode
from contexts.orders.events import ALL_EVENTS, LINE_KEYS


def _sample(cls: type[IntegrationEvent]) -> IntegrationEvent:
    line: dict[str, Any] = {key: str(uuid.uuid4()) for key in LINE_KEYS}
    line.update(title="Kettle - steel", quantity=2, unit_price_minor=1999)
    values: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        if name in ("event_id", "occurred_at") or not info.is_required():
            continue
        annotation = str(info.annotation)
        if name == "lines":
            values[name] = [line]
        elif name == "vendor_orders":
            values[name] = [
                {
                    "vendor_order_id": line["vendor_order_id"],
                    "vendor_id": line["vendor_id"],
                    "store_id": line["store_id"],
                    "subtotal_minor": 3998,
                }
            ]
        elif "UUID" in annotation:
            values[name] = uuid.uuid4()
        elif annotation == "<class 'int'>":
            values[name] = 3998
        elif annotation == "<class 'bool'>":
            values[name] = True
        else:
            values[name] = "EUR" if name == "currency" else "x"
    return cls(**values)


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.event_type)
def test_event_round_trips_through_json(cls: type[IntegrationEvent]) -> None:
    event = _sample(cls)
    wire = json.loads(json.dumps(event.to_message()))
    assert decode(wire) == event
    assert wire["event_type"].startswith("orders.")
    assert wire["aggregate_id"] == str(event.order_id)  # type: ignore[attr-defined]
    assert wire["payload"]["customer_user_id"]
