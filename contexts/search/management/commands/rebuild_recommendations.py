"""``manage.py rebuild_recommendations``: rebuild purchases and co-purchase counts by
replaying every stored ``orders.order_paid`` (progress bar), then print the offline
evaluation."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from contexts.search import services
from contexts.search.selectors import recommendations


class Command(BaseCommand):
    help = "Rebuild the recommendation counts from the paid orders in the event log."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        total = services.recommendation_events_count()
        with tqdm(
            total=total,
            desc="rebuild recommendations",
            unit="order",
            file=self.stderr,
            disable=options["no_progress"],
        ) as bar:
            report = services.recommendations_rebuild(progress=bar.update)
        self.stdout.write(
            f"replayed {report.events} paid orders: "
            + ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items()))
            + f"; {recommendations.purchase_count()} purchase lines"
        )
