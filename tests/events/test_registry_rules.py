"""The handler registry refuses ambiguous subscriptions instead of overwriting them."""

from __future__ import annotations

import uuid

import pytest

from bazaar_platform.events import IntegrationEvent, register_handlers
from bazaar_platform.events.registry import subscription, unregister_handler


class _ThingCreated(IntegrationEvent):
    event_type = "registrytest.thing_created"
    aggregate = "thing_id"
    thing_id: uuid.UUID


class _ThingDeleted(IntegrationEvent):
    event_type = "registrytest.thing_deleted"
    aggregate = "thing_id"
    thing_id: uuid.UUID


def on_thing(event: IntegrationEvent) -> None:
    """A handler that must not silently answer two event types."""


def test_one_function_cannot_be_subscribed_to_two_event_types():
    register_handlers("registrytest", {_ThingCreated: [on_thing]})
    try:
        with pytest.raises(ValueError, match="one handler per event type"):
            register_handlers("registrytest", {_ThingDeleted: [on_thing]})
        assert subscription("registrytest.on_thing").event_type == "registrytest.thing_created"
    finally:
        unregister_handler("registrytest.on_thing")
