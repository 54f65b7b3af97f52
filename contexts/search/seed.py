"""The search context's part of ``seed_demo``: nothing of its own to invent.

Documents and purchases come from the other contexts' events, which reach the handlers
as they are published. If a part of the read model is still empty while the event log
holds events for it (the database was seeded before this context was installed, or the
events were not dispatched), that part is rebuilt from the log. Idempotent: a populated
part is left alone.
"""

from __future__ import annotations

from tqdm import tqdm

from bazaar_platform.seeding import SeedContext
from contexts.search import selectors, services
from contexts.search.selectors import recommendations


def seed_demo_search(ctx: SeedContext) -> None:
    if not selectors.document_count():
        total = services.read_model_events_count()
        with tqdm(total=total, desc="seed search index", file=ctx.out, disable=ctx.quiet) as bar:
            services.read_model_rebuild(progress=bar.update)
    if not recommendations.purchase_count():
        total = services.recommendation_events_count()
        if total:
            with tqdm(
                total=total, desc="seed search purchases", file=ctx.out, disable=ctx.quiet
            ) as bar:
                services.recommendations_rebuild(progress=bar.update)
