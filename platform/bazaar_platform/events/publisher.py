"""``publish(event)``: an outbox row in the caller's transaction, dispatched after commit."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.db import connections, transaction

from bazaar_platform.events.base import IntegrationEvent
from bazaar_platform.events.models import OutboxMessage
from bazaar_platform.events.tracing import publish_span


def publish(event: IntegrationEvent, *, using: str = "default") -> OutboxMessage:
    """Record ``event`` in the outbox of the current transaction.

    Call it from a service inside ``transaction.atomic()``: a rollback discards the
    event with the state change; a commit hands it to the relay, which delivers it
    even if the broker is down right now (it retries until it gets through).

    With the after-commit fast path on (``EVENT_RELAY_INLINE``) the committing
    process then delivers the event itself. Without it, on PostgreSQL the same
    transaction sends ``NOTIFY`` on ``EVENT_RELAY_NOTIFY_CHANNEL``; PostgreSQL
    delivers it only on commit, which wakes ``manage.py relay_outbox`` without
    polling.
    """
    with publish_span(event) as headers:
        row = OutboxMessage.objects.using(using).create(
            event_id=event.event_id,
            event_type=event.event_type,
            version=event.version,
            producer=event.producer,
            aggregate_id=event.aggregate_id,
            message=event.to_message(),
            headers=headers,
            occurred_at=event.occurred_at,
        )
    if settings.EVENT_RELAY_INLINE:
        from bazaar_platform.events.relay import drain_aggregate_quietly

        transaction.on_commit(
            partial(drain_aggregate_quietly, row.aggregate_id, using=using), using=using
        )
        return row
    # Without the fast path the relay process delivers everything: wake it. (With
    # it, the relay only sweeps rows older than its grace and does not listen, so
    # a NOTIFY would be a wasted round trip per event.)
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [settings.EVENT_RELAY_NOTIFY_CHANNEL])
    return row
