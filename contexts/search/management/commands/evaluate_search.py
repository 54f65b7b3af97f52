"""``manage.py evaluate_search JUDGEMENTS.json``: NDCG@k of the search per judged query
(worst first) and their mean, on whatever the read model holds (the judged set in
``tests/search/`` is written for the demo catalogue)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contexts.search.selectors.relevance import evaluate_judgements


class Command(BaseCommand):
    help = "NDCG@k of the search over a judged query set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("judgements", type=Path)
        parser.add_argument("--k", type=int, default=10)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["judgements"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        k = options["k"]
        results = evaluate_judgements(path, k=k)
        for r in sorted(results, key=lambda r: (r.ndcg, r.query)):
            self.stdout.write(f"{r.ndcg:6.3f}  {r.query}")
        mean = sum(r.ndcg for r in results) / max(len(results), 1)
        self.stdout.write(f"mean NDCG@{k} over {len(results)} queries: {mean:.4f}")
