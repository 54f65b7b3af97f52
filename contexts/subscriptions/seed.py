"""The subscriptions context's part of ``seed_demo`` (order 40): the default plans.

The migrations create them too; this puts them back in a flushed database. A staff
edit is never overwritten.
"""

from __future__ import annotations

from bazaar_platform.seeding import SeedContext
from contexts.subscriptions.services.plans import DEFAULT_PLANS, plan_ensure_default


def seed_plans(ctx: SeedContext) -> None:
    for spec in ctx.progress(DEFAULT_PLANS, "plans"):
        plan_ensure_default(spec)
