"""``manage.py recompute_review_aggregates``: rebuild every subject's rating aggregate
from its published reviews (after a bug, a restore, or a replay gone wrong)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from contexts.reviews.selectors import subjects_all
from contexts.reviews.services import rating_aggregate_recompute


class Command(BaseCommand):
    help = (
        "Recompute the rating aggregate (count, average, distribution) of every reviewed "
        "subject from its published reviews; publishes reviews.rating_summary_changed for "
        "each one that was wrong. Run it while the event relay is drained."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        subjects = subjects_all()
        corrected = 0
        for subject_type, subject_id in tqdm(
            subjects,
            desc="review aggregates",
            file=self.stderr,
            disable=options["quiet"],
            dynamic_ncols=True,
        ):
            corrected += rating_aggregate_recompute(
                subject_type=subject_type, subject_id=subject_id
            )
        self.stdout.write(f"{len(subjects)} subject(s), {corrected} corrected")
