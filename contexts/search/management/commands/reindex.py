"""``manage.py reindex``: rebuild the search read model from the event log.

Empties the documents, offers and vocabulary, then replays every stored event that
feeds them (catalogue, listings, ratings) through the search handlers, oldest first,
with a progress bar. Safe to run while the site serves: searches see a partial index
until it finishes, and events published meanwhile reach the handlers as usual.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from contexts.search import selectors, services


class Command(BaseCommand):
    help = "Rebuild the search documents by replaying their events from the outbox log."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        total = services.read_model_events_count()
        with tqdm(
            total=total,
            desc="reindex",
            unit="event",
            file=self.stderr,
            disable=options["no_progress"],
        ) as bar:
            report = services.read_model_rebuild(progress=bar.update)
        self.stdout.write(
            f"replayed {report.events} events: "
            + ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items()))
            + f"; {selectors.document_count()} searchable products"
        )
