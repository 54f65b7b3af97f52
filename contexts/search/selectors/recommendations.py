"""Recommendations, read from the co-purchase counts kept from paid orders.

* **Frequently bought together**: the products most often in the same order as this one
  (then bought by the same customers), best first.
* **Similar**: published products of the same category, scored by shared attribute
  values, brand and shared name words; the parent category when the leaf is too small.
* **Trending**: units sold in the last ``TRENDING_DAYS`` days, the last
  ``TRENDING_HOT_DAYS`` counting ``TRENDING_HOT_WEIGHT`` times more.
* **For you**: co-purchase scores summed over the customer's own purchases, recent ones
  weighing more, without what they already bought.

Each list is topped up from the next fallback (bought together -> similar -> trending ->
best sellers -> any published product, in stock first), so no list is empty while the
catalogue has another published product. The scoring of "for you" is a pure function
(:func:`score_for_history`) so the offline evaluation scores exactly what the API serves.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, F, FloatField, Sum, When
from django.utils import timezone

from contexts.search.models import CoPurchase, PurchaseLine, SearchDocument
from contexts.search.selectors import published_documents, vocabulary

TRENDING_DAYS = 30
TRENDING_HOT_DAYS = 7
TRENDING_HOT_WEIGHT = 3.0
HISTORY_LIMIT = 50
SIMILAR_CANDIDATES = 500

#: pair counts: product -> other product -> (same order, same customer)
Pairs = Mapping[uuid.UUID, Mapping[uuid.UUID, tuple[int, int]]]


def pair_score(orders: int, customers: int) -> float:
    """Bought in the same basket says more than bought by the same person some day."""
    return 2.0 * orders + customers


def recency_weight(position: int, length: int) -> float:
    """Weight of the ``position``-th (0-based, oldest first) of ``length`` purchases:
    ``0.25 + 0.75 * ((position + 1) / length) ** 2``; 1 for the latest."""
    return 0.25 + 0.75 * ((position + 1) / length) ** 2


def score_for_history(
    history: Sequence[uuid.UUID],
    pairs: Pairs,
    popularity: Mapping[uuid.UUID, int],
) -> list[tuple[uuid.UUID, float]]:
    """Candidates for a customer who bought ``history`` (oldest first), best first.

    A candidate's score sums its co-purchase scores with each bought product, weighted
    by recency (:func:`recency_weight`: 0.25 for the oldest, 1 for the latest, rising
    with the square of the position, so the latest basket leads) and damped by the candidate's own
    popularity (``log``), so a best seller bought with everything does not drown the
    products bought *because of* this history. Ties go to the more popular."""
    owned = set(history)
    scores: dict[uuid.UUID, float] = {}
    n = len(history)
    for i, product in enumerate(history):
        weight = recency_weight(i, n)
        for other, (orders, customers) in pairs.get(product, {}).items():
            if other in owned:
                continue
            damp = 1.0 + math.log1p(popularity.get(other, 0)) / 4
            scores[other] = scores.get(other, 0.0) + weight * pair_score(orders, customers) / damp
    return sorted(scores.items(), key=lambda kv: (-kv[1], -popularity.get(kv[0], 0), str(kv[0])))


def popularity_ranking(
    popularity: Mapping[uuid.UUID, int], *, exclude: Iterable[uuid.UUID] = ()
) -> list[uuid.UUID]:
    excluded = set(exclude)
    ranked = sorted(popularity.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return [p for p, _ in ranked if p not in excluded]


# --- database-backed lists -----------------------------------------------------------


def _documents(ids: Sequence[uuid.UUID]) -> list[SearchDocument]:
    docs = {d.product_id: d for d in published_documents().filter(product_id__in=list(ids))}
    return [docs[i] for i in ids if i in docs]


def _top_up(
    chosen: list[uuid.UUID], more: Iterable[uuid.UUID], limit: int, exclude: set[uuid.UUID]
) -> None:
    for product_id in more:
        if len(chosen) >= limit:
            return
        if product_id not in exclude and product_id not in chosen:
            chosen.append(product_id)


def _best_sellers(limit: int, exclude: set[uuid.UUID]) -> list[uuid.UUID]:
    """Best sellers then anything published: in stock first. One query."""
    return list(
        published_documents()
        .exclude(product_id__in=list(exclude))
        .order_by("-in_stock", "-units_sold", F("rating_average").desc(nulls_last=True), "name")
        .values_list("product_id", flat=True)[:limit]
    )


def trending_ids(*, limit: int = 10, exclude: Iterable[uuid.UUID] = ()) -> list[uuid.UUID]:
    excluded = set(exclude)
    now = timezone.now()
    hot_since = now - timedelta(days=TRENDING_HOT_DAYS)
    velocity = (
        PurchaseLine.objects.filter(paid_at__gte=now - timedelta(days=TRENDING_DAYS))
        .filter(product_id__in=published_documents().values("product_id"))
        .exclude(product_id__in=list(excluded))
        .values("product_id")
        .annotate(
            score=Sum(
                Case(
                    When(paid_at__gte=hot_since, then=F("quantity") * TRENDING_HOT_WEIGHT),
                    default=F("quantity") * 1.0,
                    output_field=FloatField(),
                )
            )
        )
        .order_by("-score", "product_id")
        .values_list("product_id", flat=True)[:limit]
    )
    chosen = list(velocity)
    if len(chosen) < limit:
        _top_up(chosen, _best_sellers(limit, excluded | set(chosen)), limit, excluded)
    return chosen


def similar_ids(*, product_id: uuid.UUID, limit: int = 10) -> list[uuid.UUID]:
    """Same category (or its parent), scored by shared attribute values, brand and name
    words: three queries whatever the category's size."""
    doc = SearchDocument.objects.filter(product_id=product_id).first()
    chosen: list[uuid.UUID] = []
    exclude = {product_id}
    if doc is not None and doc.category_path_text:
        segments = [s for s in doc.category_path_text.split("/") if s]
        # The leaf category, or its parent: one LIKE on the materialised path.
        scope = "/" + "/".join(segments[:-1]) + "/" if len(segments) > 1 else doc.category_path_text
        candidates = list(
            published_documents()
            .filter(category_path_text__startswith=scope)
            .exclude(product_id=product_id)
            .only("product_id", "name", "brand_slug", "facet_terms", "category_slug", "in_stock")
            .order_by("-units_sold", "product_id")[:SIMILAR_CANDIDATES]
        )
        terms = set(doc.facet_terms.strip("|").split("|")) - {""}
        name_words = vocabulary(doc.name) - vocabulary(doc.brand_name)

        def score(c: SearchDocument) -> float:
            shared = len(terms & set(c.facet_terms.strip("|").split("|")))
            words = len(name_words & vocabulary(c.name))
            return (
                3.0 * (c.category_slug == doc.category_slug)
                + 1.0 * shared
                + 1.5 * (bool(doc.brand_slug) and c.brand_slug == doc.brand_slug)
                + 1.0 * words
                + 0.5 * c.in_stock
            )

        ranked = sorted(candidates, key=lambda c: (-score(c), str(c.product_id)))
        chosen = [c.product_id for c in ranked[:limit]]
    if len(chosen) < limit:
        _top_up(chosen, trending_ids(limit=limit, exclude=exclude | set(chosen)), limit, exclude)
    return chosen


def bought_together_ids(*, product_id: uuid.UUID, limit: int = 10) -> list[uuid.UUID]:
    chosen = list(
        CoPurchase.objects.filter(
            product_id=product_id,
            other_product_id__in=published_documents().values("product_id"),
        )
        .order_by("-orders", "-customers", "other_product_id")
        .values_list("other_product_id", flat=True)[:limit]
    )
    if len(chosen) < limit:
        _top_up(chosen, similar_ids(product_id=product_id, limit=limit), limit, {product_id})
    return chosen


def customer_history(customer_user_id: uuid.UUID) -> list[uuid.UUID]:
    """The customer's distinct purchased products, oldest first (the latest 50)."""
    rows = (
        PurchaseLine.objects.filter(customer_user_id=customer_user_id)
        .order_by("-paid_at", "-id")
        .values_list("product_id", flat=True)[: HISTORY_LIMIT * 4]
    )
    seen: dict[uuid.UUID, None] = {}
    for product_id in rows:
        seen.setdefault(product_id, None)
    return list(reversed(list(seen)[:HISTORY_LIMIT]))


def for_you_ids(*, customer_user_id: uuid.UUID, limit: int = 10) -> list[uuid.UUID]:
    history = customer_history(customer_user_id)
    chosen: list[uuid.UUID] = []
    if history:
        pairs: dict[uuid.UUID, dict[uuid.UUID, tuple[int, int]]] = {}
        for row in CoPurchase.objects.filter(product_id__in=history).values_list(
            "product_id", "other_product_id", "orders", "customers"
        ):
            pairs.setdefault(row[0], {})[row[1]] = (row[2], row[3])
        candidates = {o for others in pairs.values() for o in others}
        popularity = dict(
            published_documents()
            .filter(product_id__in=list(candidates))
            .values_list("product_id", "units_sold")
        )
        # Only published candidates: the popularity map holds exactly those.
        published_pairs = {
            p: {o: c for o, c in others.items() if o in popularity} for p, others in pairs.items()
        }
        chosen = [p for p, _ in score_for_history(history, published_pairs, popularity)[:limit]]
    if len(chosen) < limit:
        _top_up(chosen, trending_ids(limit=limit, exclude=set(history)), limit, set(history))
    return chosen


def recommendation_documents(ids: Sequence[uuid.UUID]) -> list[SearchDocument]:
    return _documents(ids)


def purchase_count() -> int:
    return PurchaseLine.objects.count()


# --- offline evaluation ----------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    hit_rate: float
    mrr: float


@dataclass(frozen=True)
class EvaluationReport:
    customers: int
    k: int
    recommender: Metrics
    popularity: Metrics


def _metrics(ranks: Sequence[int | None], k: int) -> Metrics:
    n = len(ranks) or 1
    hits = [r for r in ranks if r is not None and r <= k]
    return Metrics(hit_rate=len(hits) / n, mrr=sum(1.0 / r for r in hits) / n)


def _rank(item: uuid.UUID, ranking: Sequence[uuid.UUID]) -> int | None:
    try:
        return ranking.index(item) + 1
    except ValueError:
        return None


def evaluate_holdout(*, k: int = 10) -> EvaluationReport:
    """Leave-last-out: for every customer with two or more distinct products, hide their
    latest purchase, build the co-purchase counts and popularity from everything not
    hidden, and see where "for you" and a popularity baseline rank the hidden product
    (hit rate at ``k`` and reciprocal rank, 0 beyond ``k``)."""
    lines = list(
        PurchaseLine.objects.order_by("paid_at", "id").values_list(
            "customer_user_id", "order_id", "product_id", "quantity"
        )
    )
    by_customer: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID, int]]] = {}
    for customer, order, product, quantity in lines:
        by_customer.setdefault(customer, []).append((order, product, quantity))
    held_out: dict[uuid.UUID, uuid.UUID] = {}
    training: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID, int]]] = {}
    for customer, rows in by_customer.items():
        *earlier, (_, last_product, _) = rows
        earlier_products = {p for _, p, _ in earlier}
        if earlier_products and last_product not in earlier_products:
            held_out[customer] = last_product
            training[customer] = earlier
        else:
            training[customer] = rows

    popularity: dict[uuid.UUID, int] = {}
    baskets: dict[uuid.UUID, set[uuid.UUID]] = {}
    for rows in training.values():
        for order, product, quantity in rows:
            popularity[product] = popularity.get(product, 0) + quantity
            baskets.setdefault(order, set()).add(product)
    counts: dict[uuid.UUID, dict[uuid.UUID, list[int]]] = {}

    def bump(a: uuid.UUID, b: uuid.UUID, i: int) -> None:
        counts.setdefault(a, {}).setdefault(b, [0, 0])[i] += 1

    for basket in baskets.values():
        for a in basket:
            for b in basket - {a}:
                bump(a, b, 0)
    for rows in training.values():
        owned = {p for _, p, _ in rows}
        for a in owned:
            for b in owned - {a}:
                bump(a, b, 1)
    pairs = {a: {b: (c[0], c[1]) for b, c in others.items()} for a, others in counts.items()}

    ours: list[int | None] = []
    baseline: list[int | None] = []
    for customer, target in held_out.items():
        history = list(dict.fromkeys(p for _, p, _ in training[customer]))
        ranked = [p for p, _ in score_for_history(history, pairs, popularity)[:k]]
        _top_up(ranked, popularity_ranking(popularity, exclude=history), k, set(history))
        ours.append(_rank(target, ranked))
        baseline.append(_rank(target, popularity_ranking(popularity, exclude=history)[:k]))
    return EvaluationReport(
        customers=len(held_out),
        k=k,
        recommender=_metrics(ours, k),
        popularity=_metrics(baseline, k),
    )
