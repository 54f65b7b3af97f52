"""``manage.py evaluate_recommendations``: offline evaluation of "for you".

Holds out each customer's latest purchase, rebuilds the counts from the rest, and
reports hit-rate@k and MRR@k of the recommender and of a popularity baseline."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from contexts.search.selectors import recommendations


class Command(BaseCommand):
    help = "Leave-last-out evaluation of the recommender against a popularity baseline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = recommendations.evaluate_holdout(k=options["k"])
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "customers": report.customers,
                        "k": report.k,
                        "recommender": vars(report.recommender),
                        "popularity": vars(report.popularity),
                    }
                )
            )
            return
        k = report.k
        self.stdout.write(
            f"customers evaluated (held out their latest purchase): {report.customers}"
        )
        self.stdout.write(f"{'model':<14}{f'hit-rate@{k}':>14}{f'MRR@{k}':>10}")
        for name, m in (("recommender", report.recommender), ("popularity", report.popularity)):
            self.stdout.write(f"{name:<14}{m.hit_rate:>14.3f}{m.mrr:>10.3f}")
