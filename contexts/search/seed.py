"""The search context's part of ``seed_demo``: nothing of its own to invent.

Documents come from the other contexts' events, which reach the handlers as they are
published. If the read model is still empty while the event log holds events for it
(the database was seeded before this context was installed), it is rebuilt from the log.
Idempotent: a populated read model is left alone.
"""

from __future__ import annotations

from tqdm import tqdm

from bazaar_platform.seeding import SeedContext
from contexts.search import selectors, services


def seed_demo_search(ctx: SeedContext) -> None:
    if selectors.document_count():
        return
    total = services.read_model_events_count()
    with tqdm(total=total, desc="seed search index", file=ctx.out, disable=ctx.quiet) as bar:
        services.read_model_rebuild(progress=bar.update)
