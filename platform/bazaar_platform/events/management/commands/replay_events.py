"""``manage.py replay_events``: re-dispatch stored events to a handler or a context.

From the outbox log (any transport; default): the chosen handlers' inbox rows for
the chosen events are forgotten and the events re-applied, oldest first, with a
progress bar. From Kafka (``--source kafka``): the context's consumer group is
rewound to ``--since`` (or the beginning); stop its consumers first and start
them again afterwards.

Examples::

    manage.py replay_events --handler search.index_product --since 2026-01-01T00:00:00Z
    manage.py replay_events --context notifications --type orders.order_placed
    manage.py replay_events --context search --source kafka --since 2026-11-01
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from bazaar_platform.events.registry import EventDecodeError
from bazaar_platform.events.replay import (
    ReplayFilter,
    replay_from_kafka,
    replay_from_outbox,
    stored_events,
    target_subscriptions,
)


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value) or parse_datetime(f"{value}T00:00:00")
    if parsed is None:
        raise CommandError(f"not a date/time: {value!r} (use ISO 8601)")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


class Command(BaseCommand):
    help = "Replay stored events to one handler or one context (from the outbox, or Kafka)."

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--handler", help="A handler name, e.g. search.index_product.")
        target.add_argument("--context", help="Every handler of this consuming context.")
        parser.add_argument(
            "--type", action="append", default=[], dest="types", help="Event type (repeatable)."
        )
        parser.add_argument("--since", help="Events that occurred at or after (ISO 8601).")
        parser.add_argument("--until", help="Events that occurred before (ISO 8601).")
        parser.add_argument(
            "--event-id", action="append", default=[], dest="event_ids", help="(repeatable)"
        )
        parser.add_argument("--source", choices=["outbox", "kafka"], default="outbox")
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            subs = target_subscriptions(handler=options["handler"], context=options["context"])
            event_ids = [UUID(v) for v in options["event_ids"]]
        except (ValueError, EventDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        flt = ReplayFilter(
            event_types=options["types"],
            since=_when(options["since"]),
            until=_when(options["until"]),
            event_ids=event_ids,
        )
        total = stored_events(subs, flt).count()
        handlers = ", ".join(s.handler_name for s in subs)
        if options["dry_run"]:
            self.stdout.write(f"would replay {total} stored event(s) to {handlers}")
            return
        if options["source"] == "kafka":
            context = options["context"] or subs[0].context
            try:
                forgotten, offsets = replay_from_kafka(context=context, subs=subs, flt=flt)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            for topic, partition, offset in offsets:
                self.stdout.write(f"{topic}[{partition}] -> offset {offset}")
            self.stdout.write(
                f"rewound consumer group of {context}; forgot {forgotten} inbox row(s) of {handlers}. "
                f"Start `manage.py consume_events --context {context}` to re-apply."
            )
            return
        with tqdm(
            total=total,
            unit="event",
            desc="replay",
            disable=options["no_progress"] or total < 100,
            # The raw stream: Django's OutputWrapper would append a newline to every
            # carriage-return update.
            file=getattr(self.stderr, "_out", sys.stderr),
        ) as bar:
            report = replay_from_outbox(subs, flt, progress=bar.update)
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items())) or "nothing"
        self.stdout.write(f"replayed {report.events} event(s) to {handlers}: {outcomes}")
