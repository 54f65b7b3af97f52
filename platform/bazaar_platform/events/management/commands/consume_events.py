"""``manage.py consume_events --context <ctx>``: run one context's broker consumers.

Messages go through :func:`bazaar_platform.events.consumer.handle_batch`: the
ones already received are applied in one transaction; if anything in it fails,
each goes through ``handle_received`` (``apply_or_dead_letter`` per handler):
applied once per handler, retried with backoff, dead-lettered with its reason. SIGTERM/SIGINT let
the message in flight finish and be acknowledged, then the consumer closes;
prefetched messages go back to the broker untouched.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from bazaar_platform.events.brokers import ReceivedMessage, build_broker
from bazaar_platform.events.consumer import handle_batch
from bazaar_platform.events.registry import subscriptions_of_context
from bazaar_platform.events.runtime import StopFlag


class Command(BaseCommand):
    help = "Consume one context's events from the event broker (RabbitMQ or Kafka)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--context", required=True, help="The consuming context.")
        parser.add_argument("--broker", choices=["rabbitmq", "kafka"], default=None)
        parser.add_argument("--url", default=None, help="Broker URL (default EVENT_BROKER_URL).")

    def handle(self, *args: Any, **options: Any) -> None:
        context: str = options["context"]
        subs = subscriptions_of_context(context)
        if not subs:
            raise CommandError(f"context {context!r} subscribes to no events")
        kind = options["broker"] or settings.EVENT_BROKER
        broker = build_broker(kind, options["url"] or settings.EVENT_BROKER_URL)
        event_types = sorted({s.event_type for s in subs})
        stop = StopFlag().install()
        transport = f"{broker.name}"

        last_check = [0.0]

        def on_messages(batch: Sequence[ReceivedMessage]) -> None:
            # A long-running process: drop connections that broke or outlived
            # CONN_MAX_AGE, as Django does between requests (at most once a second:
            # with CONN_HEALTH_CHECKS each check costs a query).
            now = time.monotonic()
            if now - last_check[0] >= 1.0:
                close_old_connections()
                last_check[0] = now
            try:
                handle_batch(context, batch, transport=transport, stop=stop)
            except Exception:
                last_check[0] = 0.0  # check the connection before the redelivery
                raise

        self.stdout.write(
            f"consume_events: context {context} on {kind}, {len(subs)} handler(s) "
            f"for {', '.join(event_types)}"
        )
        self.stdout.flush()
        try:
            broker.subscribe(
                context=context, event_types=event_types, handler=on_messages, stop=stop
            )
        finally:
            broker.close()
        self.stdout.write(f"consume_events: stopped ({stop.signal_name or 'done'})")
