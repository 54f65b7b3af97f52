"""The bench handler: one row per event with the wall-clock time the handler ran."""

from __future__ import annotations

import time
from typing import ClassVar
from uuid import UUID

from django.db import connection

from bazaar_platform.events import IntegrationEvent, register_handlers
from bench.events_support import CONTEXT

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS bench_ticks (
    event_id uuid PRIMARY KEY,
    run text NOT NULL,
    seq integer NOT NULL,
    handled_at double precision NOT NULL
)
"""


class BenchTicked(IntegrationEvent):
    """A benchmark tick."""

    event_type: ClassVar[str] = "bench.ticked"
    aggregate: ClassVar[str] = "stream_id"

    stream_id: UUID
    run: str
    seq: int


def record_tick(event: BenchTicked) -> None:
    handled_at = time.time()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_ticks (event_id, run, seq, handled_at) VALUES (%s, %s, %s, %s)",
            [event.event_id, event.run, event.seq, handled_at],
        )


register_handlers(CONTEXT, {BenchTicked: [record_tick]})
