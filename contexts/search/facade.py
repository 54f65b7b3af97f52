"""The search context's synchronous API for other contexts: plain values only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from contexts.search import selectors


@dataclass(frozen=True)
class SearchHit:
    product_id: uuid.UUID
    slug: str
    name: str
    best_price_minor: int | None
    currency: str
    in_stock: bool


def product_search(*, q: str, limit: int = 20) -> list[SearchHit]:
    """The best-ranked published products for a free-text query (``websearch`` syntax,
    typo-tolerant on PostgreSQL). Never raises for odd input: it finds nothing instead."""
    page = selectors.document_search(
        filters=selectors.SearchFilters(q=q), offset=0, limit=max(1, min(limit, 100))
    )
    return [
        SearchHit(
            product_id=d.product_id,
            slug=d.slug,
            name=d.name,
            best_price_minor=d.best_price_minor,
            currency=d.currency,
            in_stock=d.in_stock,
        )
        for d in page.results
    ]
