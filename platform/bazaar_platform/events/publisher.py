"""``publish(event)``: an outbox row in the caller's transaction, dispatched after commit."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from bazaar_platform.events.base import IntegrationEvent
from bazaar_platform.events.models import OutboxMessage
from bazaar_platform.events.tracing import current_headers


def publish(event: IntegrationEvent, *, using: str = "default") -> OutboxMessage:
    """Record ``event`` in the outbox of the current transaction.

    Call it from a service inside ``transaction.atomic()``: a rollback discards the
    event with the state change; a commit hands it to the relay, which delivers it
    even if the broker is down right now (it retries until it gets through).
    """
    from bazaar_platform.events.relay import drain_aggregate_quietly

    row = OutboxMessage.objects.using(using).create(
        event_id=event.event_id,
        event_type=event.event_type,
        version=event.version,
        producer=event.producer,
        aggregate_id=event.aggregate_id,
        message=event.to_message(),
        headers=current_headers(),
        occurred_at=event.occurred_at,
    )
    transaction.on_commit(
        partial(drain_aggregate_quietly, row.aggregate_id, using=using), using=using
    )
    return row
