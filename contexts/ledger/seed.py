"""The ledger context's part of ``seed_demo`` (order 90, after orders).

The ledger has no demo data of its own: postings are facts about paid orders and
refunds, so they appear when the orders context's demo orders publish
``orders.order_paid`` / ``orders.refund_issued`` (handled in-process like any other
event). Writing entries here would invent sales no order backs.
"""

from __future__ import annotations

from bazaar_platform.seeding import SeedContext


def seed_ledger(ctx: SeedContext) -> None:
    for _ in ctx.progress((), "ledger (filled by the paid demo orders' events)", total=0):
        pass
