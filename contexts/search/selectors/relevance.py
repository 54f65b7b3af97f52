"""Offline relevance: NDCG@k of the search over a judged query set.

A judged query lists products (by slug) that should rank at the top: grade 2 = what
the query asks for, 1 = relevant. Gains are ``2^grade - 1``, discounts
``log2(rank + 1)``; a query's NDCG is its DCG over the ideal ordering's.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from contexts.search.selectors import SearchFilters, document_search


@dataclass(frozen=True)
class JudgedResult:
    query: str
    ndcg: float
    top: list[str]


def dcg(grades: list[int], k: int) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:k]))


def ndcg_at_k(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    ideal = dcg(sorted(relevant.values(), reverse=True), k)
    return dcg([relevant.get(slug, 0) for slug in ranked], k) / ideal if ideal else 0.0


def evaluate_judgements(path: Path, *, k: int = 10) -> list[JudgedResult]:
    """Run every judged query of the JSON file at ``path`` through the search."""
    results = []
    for item in json.loads(path.read_text()):
        page = document_search(filters=SearchFilters(q=item["query"]), limit=k)
        ranked = [d.slug for d in page.results]
        results.append(JudgedResult(item["query"], ndcg_at_k(ranked, item["relevant"], k), ranked))
    return results
