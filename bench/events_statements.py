"""Statements per event on each event-platform path, counted on the connection (Django
logs BEGIN/COMMIT too). Deterministic, unlike the timings of ``events_bench.py``.

Run against a migrated scratch database (RabbitMQ dispatch, so the relay's count holds
no handler statements)::

    BAZAAR_PROFILE=services DATABASE_URL=postgres://postgres@127.0.0.1:5432/<scratch> \\
    REDIS_URL=redis://127.0.0.1:6379/5 DJANGO_SECRET_KEY=bench PYTHONPATH=$PWD:$PWD/platform \\
    python bench/events_statements.py
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.events_bench_settings"
os.environ["BAZAAR_BENCH_CONTEXT"] = "bench_count"
os.environ["EVENT_NAMESPACE"] = f"count-{uuid.uuid4().hex[:6]}"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from bazaar_platform.events import publish  # noqa: E402
from bazaar_platform.events.brokers import ReceivedMessage, encode, reset_broker  # noqa: E402
from bazaar_platform.events.consumer import handle_batch  # noqa: E402
from bazaar_platform.events.dispatch import reset_dispatcher  # noqa: E402
from bazaar_platform.events.relay import relay_pending  # noqa: E402
from bench.events_support import CONTEXT  # noqa: E402
from bench.events_support.handlers import TABLE_SQL, BenchTicked  # noqa: E402

N = 50
BROKER = {
    "EVENT_DISPATCH": "broker",
    "EVENT_BROKER": "rabbitmq",
    "EVENT_BROKER_URL": os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}


def events(n: int) -> list[BenchTicked]:
    return [BenchTicked(stream_id=uuid.uuid4(), run="count", seq=i) for i in range(n)]


def publish_each(batch: list[BenchTicked]) -> None:
    for event in batch:
        with transaction.atomic():
            publish(event)


def main() -> None:
    with connection.cursor() as cursor:
        cursor.execute(TABLE_SQL)
    with override_settings(**BROKER, EVENT_RELAY_INLINE=False):
        reset_dispatcher()
        reset_broker()
        relay_pending()
        with CaptureQueriesContext(connection) as queries:
            publish_each(events(N))
        published = len(queries) / N
        relay_pending(batch_size=1)  # connecting and declaring stay out of the count
        publish_each(events(N))
        with CaptureQueriesContext(connection) as queries:
            relay_pending()
        relayed = len(queries)
    with (
        override_settings(**BROKER, EVENT_RELAY_INLINE=True),
        CaptureQueriesContext(connection) as queries,
    ):
        publish_each(events(N))
    fast_path = len(queries) / N
    with override_settings(EVENT_DISPATCH="inprocess"):
        batch = [ReceivedMessage(body=encode(e.to_message())) for e in events(N)]
        with CaptureQueriesContext(connection) as queries:
            handle_batch(CONTEXT, batch, transport="count")
        consumed = len(queries)
    reset_broker()
    print(f"publish() without the fast path: {published:.0f} statements per event")
    print(f"relay_outbox sweep of {N} pending events: {relayed} statements")
    print(f"publish() with the fast path (commit + delivery): {fast_path:.0f} per event")
    print(f"consumer, batch of {N} (one handler inserting a row): {consumed} statements")


if __name__ == "__main__":
    main()
