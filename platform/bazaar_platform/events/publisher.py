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
    inline = settings.EVENT_RELAY_INLINE
    notify = not inline and connections[using].vendor == "postgresql"
    with publish_span(event) as headers:
        row = OutboxMessage(
            event_id=event.event_id,
            event_type=event.event_type,
            version=event.version,
            producer=event.producer,
            aggregate_id=event.aggregate_id,
            message=event.to_message(),
            headers=headers,
            occurred_at=event.occurred_at,
        )
        if notify:
            # Without the fast path the relay process delivers everything: wake it,
            # in the same statement as the insert (one round trip, not two). (With
            # the fast path, the relay only sweeps rows older than its grace and does
            # not listen, so a NOTIFY would be wasted.)
            _insert_and_notify(row, using)
        else:
            row.save(using=using, force_insert=True)
    if inline:
        from bazaar_platform.events.relay import drain_aggregate_quietly

        transaction.on_commit(
            partial(drain_aggregate_quietly, row.aggregate_id, using=using), using=using
        )
    return row


def _insert_and_notify(row: OutboxMessage, using: str) -> None:
    """``INSERT ... SELECT ... FROM pg_notify(channel, '')``: the outbox row and the
    relay's wake-up in one statement. PostgreSQL delivers the notification only when
    the transaction commits, like a separate ``NOTIFY`` would."""
    connection = connections[using]
    meta = OutboxMessage._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {placeholders} "  # noqa: S608 - quoted names; values are parameters
            "FROM pg_notify(%s, '') RETURNING id",
            [*values, settings.EVENT_RELAY_NOTIFY_CHANNEL],
        )
        row.pk = cursor.fetchone()[0]
    row._state.adding = False
    row._state.db = using
