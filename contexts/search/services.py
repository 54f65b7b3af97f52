"""Writes to the search read model. Every function is idempotent: applying the same
event twice leaves the same rows, so the inbox, a replay or a redelivery is harmless.

Snapshots carry the catalogue's ``updated_at``; an older snapshot than the one applied
is ignored, so out-of-order delivery (Celery) cannot roll a document back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Count, F, Min, Q, Sum, Value
from django.db.models.expressions import CombinedExpression
from django.utils import timezone

from bazaar_platform.events.registry import Subscription, subscriptions_of_context
from bazaar_platform.events.replay import (
    ReplayFilter,
    ReplayReport,
    replay_from_outbox,
    stored_events,
)
from contexts.catalog.events import (
    ProductPublished,
    ProductSnapshotEvent,
    ProductUnpublished,
    ProductUpdated,
)
from contexts.orders.events import OrderPaid
from contexts.reviews.events import RatingSummaryChanged
from contexts.search.models import (
    CoPurchase,
    PurchaseLine,
    SearchDocument,
    SearchListing,
    SearchQueryStat,
    SearchTerm,
)
from contexts.search.selectors import (
    TS_CONFIG,
    facet_labels,
    facet_value,
    fold,
    is_postgres,
    normalise_query,
    vocabulary,
    words,
)
from contexts.search.selectors.response_cache import revision_bump
from contexts.vendors.events import ListingRemoved, ListingUpdated


def _document_terms(doc: SearchDocument) -> set[str]:
    if not doc.is_published:
        return set()
    return vocabulary(doc.name, doc.brand_name, doc.category_text)


def _terms_shift(*, removed: Iterable[str], added: Iterable[str]) -> None:
    removed, added = set(removed), set(added)
    if added:
        SearchTerm.objects.bulk_create(
            [SearchTerm(term=t, documents=0) for t in sorted(added)], ignore_conflicts=True
        )
        SearchTerm.objects.filter(term__in=sorted(added)).update(documents=F("documents") + 1)
    if removed:
        SearchTerm.objects.filter(term__in=sorted(removed)).update(documents=F("documents") - 1)


def _vector(doc: SearchDocument) -> CombinedExpression | None:
    """Weighted ``tsvector``: name A, brand and category B, description C, attribute
    values and SKUs D. The text is folded (no accents) first, as queries are, so "cafe"
    finds "Café" without the ``unaccent`` extension. None where there is no full text."""
    if not is_postgres():
        return None

    def vector(weight: str, *texts: str) -> SearchVector:
        text = fold(" ".join(t for t in texts if t))
        return SearchVector(Value(text), weight=weight, config=TS_CONFIG)

    combined: CombinedExpression = (
        vector("A", doc.name)
        + vector("B", doc.brand_name, doc.category_text)
        + vector("C", doc.description)
        + vector("D", doc.attribute_text, doc.skus)
    )
    return combined


def _locked_document(product_id: uuid.UUID) -> SearchDocument:
    """The product's document, locked (writers of one document serialise: a listing
    event and a snapshot at once); created empty if this is its first event."""
    doc = SearchDocument.objects.select_for_update().filter(pk=product_id).first()
    if doc is None:
        SearchDocument.objects.bulk_create(
            [SearchDocument(product_id=product_id)], ignore_conflicts=True
        )
        doc = SearchDocument.objects.select_for_update().get(pk=product_id)
    return doc


@transaction.atomic
def document_apply_snapshot(*, snapshot: ProductSnapshotEvent) -> SearchDocument:
    """Index a product as the catalogue describes it (published or not)."""
    doc = _locked_document(snapshot.product_id)
    if doc.source_updated_at is not None and snapshot.updated_at < doc.source_updated_at:
        return doc
    old_terms = _document_terms(doc)
    attributes = {
        code: sorted({v for v in values}, key=facet_value)
        for code, values in sorted(snapshot.attribute_values.items())
    }
    doc.slug = snapshot.slug
    doc.name = snapshot.name
    doc.description = snapshot.description_text
    doc.brand_name = snapshot.brand_name or ""
    doc.brand_slug = snapshot.brand_slug or ""
    doc.category_slug = snapshot.category_path_slugs[-1] if snapshot.category_path_slugs else ""
    doc.category_name = snapshot.category_path[-1] if snapshot.category_path else ""
    doc.category_path = list(snapshot.category_path)
    doc.category_path_text = "/" + "".join(f"{s}/" for s in snapshot.category_path_slugs)
    doc.category_text = " ".join(snapshot.category_path)
    doc.product_type = snapshot.product_type
    doc.attribute_values = attributes
    # Text values (an author, a material) are words; a true flag is its own name
    # ("noise_cancelling" -> "noise cancelling"), so "noise cancelling headphones" finds it.
    doc.attribute_text = " ".join(
        [str(v) for values in attributes.values() for v in values if isinstance(v, str)]
        + [
            code.replace("_", " ")
            for code, values in attributes.items()
            if any(v is True for v in values)
        ]
    )
    doc.facet_terms = "|" + "".join(
        f"{code}={facet_value(v)}|" for code, values in attributes.items() for v in values
    )
    doc.facet_labels = facet_labels(attributes)
    doc.skus = " ".join(snapshot.skus)
    doc.words_text = (
        " "
        + " ".join(
            words(
                " ".join(
                    [
                        doc.name,
                        doc.brand_name,
                        doc.category_text,
                        doc.description,
                        doc.attribute_text,
                    ]
                )
            )
        )
        + " "
    )
    doc.is_published = snapshot.status == "published"
    doc.published_at = snapshot.published_at
    doc.source_updated_at = snapshot.updated_at
    # The vector is computed by the database in the same UPDATE as the fields.
    doc.search_vector = _vector(doc)
    doc.save()
    revision_bump()
    _terms_shift(removed=old_terms - _document_terms(doc), added=_document_terms(doc) - old_terms)
    return doc


@transaction.atomic
def document_unpublish(*, product_id: uuid.UUID) -> None:
    """Stop returning a product; its offers and rating stay for a republication."""
    doc = SearchDocument.objects.select_for_update().filter(pk=product_id).first()
    if doc is None or not doc.is_published:
        return
    _terms_shift(removed=_document_terms(doc), added=())
    doc.is_published = False
    doc.save(update_fields=["is_published", "updated_at"])
    revision_bump()


def _offers_fold(product_id: uuid.UUID) -> None:
    """Best price and availability across the product's purchasable listings: the
    cheapest in-stock offer, else the cheapest offer at all."""
    offers = SearchListing.objects.filter(product_id=product_id, is_purchasable=True)
    summary = offers.aggregate(
        offers=Count("listing_id"),
        in_stock_offers=Count("listing_id", filter=Q(available__gt=0)),
        best_in_stock=Min("price_minor", filter=Q(available__gt=0)),
        best_any=Min("price_minor"),
    )
    in_stock = summary["in_stock_offers"] > 0
    best = summary["best_in_stock"] if in_stock else summary["best_any"]
    currency = ""
    if best is not None:
        cheapest = offers.filter(price_minor=best)
        if in_stock:
            cheapest = cheapest.filter(available__gt=0)
        currency = cheapest.values_list("currency", flat=True).first() or ""
    doc = _locked_document(product_id)
    doc.best_price_minor = best
    doc.currency = currency
    doc.in_stock = in_stock
    doc.offer_count = summary["offers"]
    doc.save(
        update_fields=["best_price_minor", "currency", "in_stock", "offer_count", "updated_at"]
    )
    revision_bump()


@transaction.atomic
def listing_apply(
    *,
    listing_id: uuid.UUID,
    product_id: uuid.UUID,
    variant_id: uuid.UUID,
    store_id: uuid.UUID,
    price_minor: int,
    currency: str,
    available: int,
    is_purchasable: bool,
    updated_at: datetime | None = None,
) -> None:
    """Record a listing's snapshot and refold its product's best offer."""
    current = SearchListing.objects.select_for_update().filter(pk=listing_id).first()
    if (
        current is not None
        and updated_at is not None
        and current.source_updated_at is not None
        and updated_at < current.source_updated_at
    ):
        return
    SearchListing.objects.update_or_create(
        listing_id=listing_id,
        defaults={
            "product_id": product_id,
            "variant_id": variant_id,
            "store_id": store_id,
            "price_minor": price_minor,
            "currency": currency,
            "available": max(available, 0),
            "is_purchasable": is_purchasable,
            "source_updated_at": updated_at,
        },
    )
    if current is not None and current.product_id != product_id:
        _offers_fold(current.product_id)
    _offers_fold(product_id)


@transaction.atomic
def listing_remove(*, listing_id: uuid.UUID) -> None:
    current = SearchListing.objects.select_for_update().filter(pk=listing_id).first()
    if current is None:
        return
    current.delete()
    _offers_fold(current.product_id)


@transaction.atomic
def document_rating_set(
    *, product_id: uuid.UUID, average: float | None, count: int, at: datetime | None = None
) -> None:
    """The product's rating summary as published at ``at``; an older one is ignored."""
    doc = _locked_document(product_id)
    if at is not None and doc.rating_at is not None and at < doc.rating_at:
        return
    doc.rating_average = average if count else None
    doc.rating_count = max(count, 0)
    doc.rating_at = at
    doc.save(update_fields=["rating_average", "rating_count", "rating_at", "updated_at"])
    revision_bump()


def documents_units_sold_add(*, units: dict[uuid.UUID, int]) -> None:
    """Add units sold (a paid order's lines) to the documents' popularity."""
    for product_id, n in sorted(units.items()):
        SearchDocument.objects.get_or_create(product_id=product_id)
        SearchDocument.objects.filter(pk=product_id).update(units_sold=F("units_sold") + n)
    revision_bump()


def query_record(*, q: str, result_count: int) -> None:
    """Count one search of ``q`` (normalised, masked); one statement, no read first.

    Concurrent searches of one query add up in the database, never in Python. On
    PostgreSQL its commit does not wait for the WAL flush (``synchronous_commit`` off
    for this transaction only, set in the same statement): a crash may forget the last
    fraction of a second of search counts, which no one can tell from noise, and a
    search does not wait for a disk."""
    query = normalise_query(q)
    if not query:
        return
    now = timezone.now()
    table = SearchQueryStat._meta.db_table
    source = (
        "SELECT %s, 1, %s, %s, %s, %s "
        "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous"
        if is_postgres()
        else "VALUES (%s, 1, %s, %s, %s, %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (query, searches, zero_result_searches, last_result_count, "
            f"first_searched_at, last_searched_at) {source} "
            f"ON CONFLICT (query) DO UPDATE SET searches = {table}.searches + 1, "
            f"zero_result_searches = {table}.zero_result_searches + excluded.zero_result_searches, "
            f"last_result_count = excluded.last_result_count, "
            f"last_searched_at = excluded.last_searched_at",
            [query, 1 if result_count == 0 else 0, result_count, now, now],
        )


@transaction.atomic
def read_model_clear() -> None:
    """Forget every document, offer and term (not the query log): before a reindex."""
    SearchDocument.objects.all().delete()
    revision_bump()
    SearchListing.objects.all().delete()
    SearchTerm.objects.all().delete()


#: The events the search documents are built from (the recommendation models have
#: their own rebuild).
DOCUMENT_EVENT_TYPES: frozenset[str] = frozenset(
    {
        ProductPublished.event_type,
        ProductUpdated.event_type,
        ProductUnpublished.event_type,
        ListingUpdated.event_type,
        ListingRemoved.event_type,
        RatingSummaryChanged.event_type,
    }
)


def document_subscriptions() -> list[Subscription]:
    return [s for s in subscriptions_of_context("search") if s.event_type in DOCUMENT_EVENT_TYPES]


def read_model_events_count() -> int:
    return stored_events(document_subscriptions(), ReplayFilter()).count()


def read_model_rebuild(*, progress: Callable[[int], None] = lambda _n: None) -> ReplayReport:
    """Empty the documents, offers and vocabulary, then replay every stored event that
    feeds them through the search handlers, oldest first (the event platform's replay
    from the outbox log). The query log is kept."""
    read_model_clear()
    report = replay_from_outbox(document_subscriptions(), ReplayFilter(), progress=progress)
    _units_sold_refold()
    return report


def _units_sold_refold() -> None:
    """Units sold come from the purchases (kept by a reindex), not from the replay."""
    totals = PurchaseLine.objects.values("product_id").annotate(units=Sum("quantity"))
    for row in totals.order_by("product_id"):
        SearchDocument.objects.filter(pk=row["product_id"]).update(units_sold=row["units"])
    revision_bump()


# --- recommendations -------------------------------------------------------------------


def _pairs_add(
    pairs: dict[tuple[uuid.UUID, uuid.UUID], list[int]], a: uuid.UUID, b: uuid.UUID, i: int
) -> None:
    pairs.setdefault((a, b), [0, 0])[i] += 1


@transaction.atomic
def purchases_record(
    *,
    order_id: uuid.UUID,
    customer_user_id: uuid.UUID,
    quantities: dict[uuid.UUID, int],
    paid_at: datetime,
) -> bool:
    """Record a paid order's products and fold them into the co-purchase counts and the
    documents' units sold. An order already recorded is skipped whole (idempotent);
    returns whether anything was recorded.

    Pairs count in both directions: ``orders`` for two products in this order,
    ``customers`` once per customer for two products they bought, in any orders."""
    if not quantities or PurchaseLine.objects.filter(order_id=order_id).exists():
        return False
    previous = set(
        PurchaseLine.objects.filter(customer_user_id=customer_user_id).values_list(
            "product_id", flat=True
        )
    )
    PurchaseLine.objects.bulk_create(
        [
            PurchaseLine(
                order_id=order_id,
                product_id=product_id,
                customer_user_id=customer_user_id,
                quantity=quantity,
                paid_at=paid_at,
            )
            for product_id, quantity in sorted(quantities.items())
        ]
    )
    products = sorted(quantities)
    new = [p for p in products if p not in previous]
    pairs: dict[tuple[uuid.UUID, uuid.UUID], list[int]] = {}
    for a in products:
        for b in products:
            if a != b:
                _pairs_add(pairs, a, b, 0)
    for a in new:
        for b in sorted(previous | set(new)):
            if a != b:
                _pairs_add(pairs, a, b, 1)
        for b in sorted(previous):
            _pairs_add(pairs, b, a, 1)
    CoPurchase.objects.bulk_create(
        [CoPurchase(product_id=a, other_product_id=b) for a, b in sorted(pairs)],
        ignore_conflicts=True,
    )
    for (a, b), (orders, customers) in sorted(pairs.items()):
        CoPurchase.objects.filter(product_id=a, other_product_id=b).update(
            orders=F("orders") + orders, customers=F("customers") + customers
        )
    documents_units_sold_add(units=quantities)
    return True


def order_paid_quantities(event: OrderPaid) -> dict[uuid.UUID, int]:
    quantities: dict[uuid.UUID, int] = {}
    for line in event.lines:
        product_id = uuid.UUID(str(line["product_id"]))
        quantities[product_id] = quantities.get(product_id, 0) + int(line["quantity"])
    return quantities


RECOMMENDATION_EVENT_TYPES: frozenset[str] = frozenset({OrderPaid.event_type})


def recommendation_subscriptions() -> list[Subscription]:
    return [
        s for s in subscriptions_of_context("search") if s.event_type in RECOMMENDATION_EVENT_TYPES
    ]


def recommendation_events_count() -> int:
    return stored_events(recommendation_subscriptions(), ReplayFilter()).count()


def recommendations_rebuild(*, progress: Callable[[int], None] = lambda _n: None) -> ReplayReport:
    """Forget purchases, co-purchase counts and units sold, then replay every stored
    ``orders.order_paid`` through the search handler, oldest first."""
    with transaction.atomic():
        PurchaseLine.objects.all().delete()
        CoPurchase.objects.all().delete()
        SearchDocument.objects.exclude(units_sold=0).update(units_sold=0)
        revision_bump()
    return replay_from_outbox(recommendation_subscriptions(), ReplayFilter(), progress=progress)
