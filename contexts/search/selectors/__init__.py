"""Reads of the search read model: search with filters, facets and sorting, suggestions.

Two engines answer the same API. On PostgreSQL: a weighted ``tsvector`` (name A, brand
and category B, description C, attribute values D) matched with ``websearch_to_tsquery``
or'ed with a prefix query of the typed words, ranked with ``ts_rank``; when nothing
matches, each word is corrected to the nearest vocabulary term (``pg_trgm`` similarity,
then edit distance) and the search runs again. Elsewhere (the embedded SQLite profile):
every word must occur in the text, ranked by where it occurs, no typo correction.

Every search costs a fixed number of queries whatever it finds: on PostgreSQL the total
with every facet in one query (:func:`_pg_facets`) and the page; a vocabulary lookup and
one more total-and-facets query per retry when the words must be corrected or relaxed.
The API caches whole responses per request and read-model revision (``response_cache``).
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, Count, F, FloatField, IntegerField, Q, QuerySet, Value, When

from contexts.search.models import SearchDocument, SearchQueryStat, SearchTerm

TS_CONFIG = "english"
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
#: ``ts_rank`` weights for D, C, B, A: a word in the name counts ten times one in the
#: attribute values.
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]
#: Price facet edges in minor units (upper bounds, exclusive).
PRICE_EDGES = (2_500, 5_000, 10_000, 25_000, 50_000, 100_000)
RATING_STEPS = (4, 3, 2, 1)
ATTRIBUTE_FACET_VALUES = 20
SORTS = ("relevance", "newest", "price_asc", "price_desc", "rating", "popularity", "name")

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_EMAIL = re.compile(r"\S+@\S+")
_DIGITS = re.compile(r"\d[\d\s().+-]{5,}\d")


# --- text ----------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case without accents: "Café" and "cafe" are the same word to us."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of ``text``, folded; operators and punctuation are dropped."""
    return _WORD.findall(fold(text))


#: Words too common to suggest or correct to.
STOP_WORDS = frozenset({"a", "an", "and", "by", "for", "in", "of", "on", "the", "to", "with"})


def vocabulary(*texts: str) -> set[str]:
    """Words worth suggesting or correcting to: two letters or more, at most 64."""
    return {w for t in texts for w in words(t) if 2 <= len(w) <= 64 and w not in STOP_WORDS}


def normalise_query(q: str) -> str:
    """The form a query is logged under: folded, single spaces, personal data masked."""
    text = _EMAIL.sub("[email]", q)
    text = _DIGITS.sub("[number]", text)
    return " ".join(fold(text).split())[:MAX_QUERY_LENGTH]


def facet_value(value: Any) -> str:
    """An attribute value as facets show it and filters take it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return fold(str(value))


#: Separates the entries of ``SearchDocument.facet_labels``.
FACET_SEPARATOR = "\x1e"


def facet_label(value: Any) -> str:
    """An attribute value as the facets label it: the text PostgreSQL's
    ``jsonb_array_elements_text`` gives (a string as is, ``true``, ``128``)."""
    return value if isinstance(value, str) else json.dumps(value)


def facet_labels(attributes: Mapping[str, Sequence[Any]]) -> str:
    """``SearchDocument.facet_labels`` for attribute values ("colour=Black", ...)."""
    return FACET_SEPARATOR.join(
        f"{code}={facet_label(v)}"
        for code, values in attributes.items()
        for v in (values if isinstance(values, list) else [values])
        if v is not None
    )


def damerau_levenshtein(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit ("iphnoe" -> "iphone")."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[len(a)][len(b)]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- search --------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    q: str = ""
    category: str | None = None
    brands: Sequence[str] = ()
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    price_min: int | None = None
    price_max: int | None = None
    rating_min: float | None = None
    in_stock: bool | None = None
    sort: str = "relevance"


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Facets:
    categories: list[FacetValue]
    brands: list[FacetValue]
    attributes: dict[str, list[FacetValue]]
    price: list[FacetValue]
    rating: list[FacetValue]
    in_stock: list[FacetValue]


@dataclass(frozen=True)
class SearchPage:
    total: int
    results: list[SearchDocument]
    facets: Facets
    query: str
    corrected_query: str | None


def published_documents() -> QuerySet[SearchDocument]:
    return SearchDocument.objects.filter(is_published=True)


def _filtered(flt: SearchFilters) -> QuerySet[SearchDocument]:
    qs = published_documents()
    if flt.category:
        qs = qs.filter(category_path_text__contains=f"/{flt.category}/")
    if flt.brands:
        qs = qs.filter(brand_slug__in=list(flt.brands))
    for code, values in flt.attributes.items():
        any_of = Q()
        for value in values:
            any_of |= Q(facet_terms__contains=f"|{code}={fold(value)}|")
        qs = qs.filter(any_of)
    if flt.price_min is not None:
        qs = qs.filter(best_price_minor__gte=flt.price_min)
    if flt.price_max is not None:
        qs = qs.filter(best_price_minor__lte=flt.price_max)
    if flt.rating_min is not None:
        qs = qs.filter(rating_average__gte=flt.rating_min)
    if flt.in_stock is not None:
        qs = qs.filter(in_stock=flt.in_stock)
    return qs


_TOKEN = re.compile(r'"[^"]*"?|\S+')


def _typed_words(q: str) -> tuple[list[str], list[str]]:
    """(required, excluded) words of a web-syntax query; "or" is an operator."""
    required: list[str] = []
    excluded: list[str] = []
    for token in _TOKEN.findall(q[:MAX_QUERY_LENGTH]):
        if token.lower() == "or":
            continue
        (excluded if token.startswith("-") else required).extend(words(token))
    return required[:MAX_WORDS], excluded[:MAX_WORDS]


def prefix_tsquery(q: str, *, any_word: bool = False) -> str:
    r"""The typed words as a prefix ``tsquery`` ("iph 15" -> "iph:* & 15:*"; with
    ``any_word`` "(iph:* | 15:*)"), keeping the web syntax's exclusions ("-desk" ->
    "!desk"). Only ``[^\W_]+`` words reach the result, so nothing the user typed can be
    ``tsquery`` syntax. Empty when no word is required."""
    required, excluded = _typed_words(q)
    if not required:
        return ""
    prefixes = [f"{w}:*" for w in required]
    head = "(" + " | ".join(prefixes) + ")" if any_word else " & ".join(prefixes)
    return " & ".join([head] + [f"!{w}" for w in excluded])


def _pg_match(qs: QuerySet[SearchDocument], q: str, *, relaxed: bool = False) -> Any:
    """Documents matching ``q`` (every word, as a whole word or a prefix), ranked.

    ``relaxed``: documents matching any of the words, those matching all of them first;
    used when the strict match finds only a few, so "wireless earbuds" still shows the
    wireless AirPods whose text never says "earbuds"."""
    web = SearchQuery(fold(q), search_type="websearch", config=TS_CONFIG)
    rank: Any = SearchRank(F("search_vector"), web, weights=RANK_WEIGHTS)
    strict = Q(search_vector=web)
    prefix_text = prefix_tsquery(q)
    if prefix_text:
        prefix = SearchQuery(prefix_text, search_type="raw", config=TS_CONFIG)
        strict |= Q(search_vector=prefix)
        # Whole words count double: "kettle" ranks kettles above kettlebells.
        rank = rank * 2 + SearchRank(F("search_vector"), prefix, weights=RANK_WEIGHTS)
    if not relaxed:
        return qs.filter(strict).annotate(rank=rank)
    loose = SearchQuery(prefix_tsquery(q, any_word=True), search_type="raw", config=TS_CONFIG)
    rank = rank + SearchRank(F("search_vector"), loose, weights=RANK_WEIGHTS)
    all_words = Case(When(strict, then=Value(10.0)), default=Value(0.0), output_field=FloatField())
    return qs.filter(strict | Q(search_vector=loose)).annotate(rank=all_words + rank)


def _fallback_match(qs: QuerySet[SearchDocument], query_words: Sequence[str]) -> Any:
    """Without full-text search: every word must start a word of the document; a word
    starting a word of the name scores 10, of the brand or category 4, elsewhere 1."""
    score: Any = Value(0)
    for word in query_words:
        qs = qs.filter(words_text__contains=f" {word}")
        in_name = Q(name__istartswith=word) | Q(name__icontains=f" {word}")
        in_taxonomy = (
            Q(brand_name__istartswith=word)
            | Q(category_text__istartswith=word)
            | Q(category_text__icontains=f" {word}")
        )
        score = score + Case(
            When(in_name, then=Value(10)),
            When(in_taxonomy, then=Value(4)),
            default=Value(1),
            output_field=IntegerField(),
        )
    return qs.annotate(rank=score)


def corrections(query_words: Sequence[str]) -> dict[str, str]:
    """For each word that is not in the vocabulary, the nearest term that is (one query).

    Candidates come from trigram similarity; the nearest by edit distance wins, then the
    more common. Words with no term within two edits stay as typed."""
    if not is_postgres() or not query_words:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w, t.term, t.documents, similarity(w, t.term) "  # noqa: S608 (table name only)
            f"FROM unnest(%s::text[]) AS w "
            f"JOIN {SearchTerm._meta.db_table} t ON similarity(w, t.term) > 0.15 "
            f"WHERE t.documents > 0",
            [list(query_words)],
        )
        rows = cursor.fetchall()
    known = {w for w, term, _, _ in rows if w == term}
    best: dict[str, tuple[int, float, int, str]] = {}
    for word, term, documents, similarity in rows:
        if word in known:
            continue
        distance = damerau_levenshtein(word, term)
        if distance > (1 if len(word) <= 4 else 2):
            continue
        key = (distance, -similarity, -documents, term)
        if word not in best or key < best[word]:
            best[word] = key
    return {word: key[3] for word, key in best.items()}


#: Fewer strict matches than this (for a query of several words) relaxes the match.
RELAX_BELOW = 5


def _matching(
    qs: QuerySet[SearchDocument], q: str, query_words: Sequence[str]
) -> tuple[Any, int, str | None, Facets | None]:
    """Strict match; if nothing, the typo-corrected query; if still only a few results
    for several words, the relaxed match of the query (as corrected).

    On PostgreSQL each candidate match is counted *with its facets* in one query
    (:func:`_pg_facets`), so the usual search is that query and the page; at most three
    such queries and one vocabulary lookup when the words must be corrected and relaxed.
    Returns (match, total, corrected query, facets or None when not computed yet)."""
    if not is_postgres():
        matched = _fallback_match(qs, query_words)
        return matched, matched.count(), None, None
    matched = _pg_match(qs, q)
    facets, total = _pg_facets(matched)
    corrected: str | None = None
    if not total:
        fixes = corrections(query_words)
        if fixes:
            corrected = " ".join(fixes.get(w, w) for w in query_words)
            matched = _pg_match(qs, corrected)
            facets, total = _pg_facets(matched)
    # A quoted phrase asks for exactly that: never relaxed.
    if total < RELAX_BELOW and len(_typed_words(q)[0]) > 1 and '"' not in q:
        relaxed = _pg_match(qs, corrected or q, relaxed=True)
        relaxed_facets, relaxed_total = _pg_facets(relaxed)
        if relaxed_total > total:
            return relaxed, relaxed_total, corrected, relaxed_facets
    return matched, total, corrected, facets


def _ordered(qs: Any, sort: str, ranked: bool) -> Any:
    if sort == "relevance" and ranked:
        return qs.order_by("-rank", "-in_stock", "-units_sold", "name", "product_id")
    orders: dict[str, tuple[Any, ...]] = {
        "relevance": ("-in_stock", "-units_sold", "name", "product_id"),
        "newest": (F("published_at").desc(nulls_last=True), "product_id"),
        "price_asc": (F("best_price_minor").asc(nulls_last=True), "name", "product_id"),
        "price_desc": (F("best_price_minor").desc(nulls_last=True), "name", "product_id"),
        "rating": (
            F("rating_average").desc(nulls_last=True),
            "-rating_count",
            "name",
            "product_id",
        ),
        "popularity": ("-units_sold", "name", "product_id"),
        "name": ("name", "product_id"),
    }
    return qs.order_by(*orders[sort])


#: Long text only the index uses: not read for the page (the vector alone is most of a row).
_PAGE_DEFERRED = ("search_vector", "words_text", "description", "attribute_text", "skus")


def document_search(*, filters: SearchFilters, offset: int = 0, limit: int = 20) -> SearchPage:
    """One page of published documents for ``filters``, with facets of the whole result
    set and the corrected query when typo correction was needed."""
    qs = _filtered(filters)
    query_words = words(filters.q)[:MAX_WORDS]
    corrected: str | None = None
    facets: Facets | None = None
    if query_words:
        matched, total, corrected, facets = _matching(qs, filters.q[:MAX_QUERY_LENGTH], query_words)
    elif is_postgres():
        # Empty, or nothing but operators and punctuation: browse instead of failing.
        matched = qs
        facets, total = _pg_facets(qs)
    else:
        matched, total = qs, qs.count()
    ordered = _ordered(matched, filters.sort, ranked=bool(query_words)).defer(*_PAGE_DEFERRED)
    results = list(ordered[offset : offset + limit]) if total else []
    if not total:
        facets = _empty_facets()
    elif facets is None:
        facets = document_facets(matched)
    return SearchPage(
        total=total,
        results=results,
        facets=facets,
        query=filters.q,
        corrected_query=corrected,
    )


# --- facets --------------------------------------------------------------------------


def _empty_facets() -> Facets:
    return Facets(categories=[], brands=[], attributes={}, price=[], rating=[], in_stock=[])


def _price_label(low: int | None, high: int | None) -> tuple[str, str]:
    def major(minor: int) -> str:
        return str(minor // 100)

    if low is None and high is not None:
        return f"*-{high}", f"under {major(high)}"
    if high is None and low is not None:
        return f"{low}-*", f"{major(low)} and over"
    return f"{low}-{high}", f"{major(low or 0)} to {major(high or 0)}"


def document_facets(matched: QuerySet[SearchDocument]) -> Facets:
    """Counts of the result set by category, brand, attribute value, price band, rating
    and stock: three queries whatever the size of the set."""
    base = matched.order_by().values("product_id")
    ids = SearchDocument.objects.filter(product_id__in=base)
    groups = list(
        ids.values("category_slug", "category_name", "brand_slug", "brand_name")
        .annotate(n=Count("product_id"))
        .order_by()
    )
    categories: dict[tuple[str, str], int] = {}
    brands: dict[tuple[str, str], int] = {}
    for row in groups:
        cat = (row["category_slug"], row["category_name"])
        categories[cat] = categories.get(cat, 0) + row["n"]
        if row["brand_slug"]:
            brand = (row["brand_slug"], row["brand_name"])
            brands[brand] = brands.get(brand, 0) + row["n"]

    bands: list[tuple[int | None, int | None]] = []
    previous: int | None = None
    for edge in PRICE_EDGES:
        bands.append((previous, edge))
        previous = edge
    bands.append((previous, None))
    aggregates: dict[str, Any] = {}
    for i, (low, high) in enumerate(bands):
        cond = Q(best_price_minor__isnull=False)
        if low is not None:
            cond &= Q(best_price_minor__gte=low)
        if high is not None:
            cond &= Q(best_price_minor__lt=high)
        aggregates[f"price_{i}"] = Count("product_id", filter=cond)
    for stars in RATING_STEPS:
        aggregates[f"rating_{stars}"] = Count("product_id", filter=Q(rating_average__gte=stars))
    aggregates["stock_yes"] = Count("product_id", filter=Q(in_stock=True))
    aggregates["stock_no"] = Count("product_id", filter=Q(in_stock=False))
    counts = ids.aggregate(**aggregates)

    price = []
    for i, (low, high) in enumerate(bands):
        value, label = _price_label(low, high)
        if counts[f"price_{i}"]:
            price.append(FacetValue(value, label, counts[f"price_{i}"]))
    rating = [
        FacetValue(str(stars), f"{stars} stars and up", counts[f"rating_{stars}"])
        for stars in RATING_STEPS
        if counts[f"rating_{stars}"]
    ]
    stock = [
        FacetValue(v, label, counts[key])
        for v, label, key in (
            ("true", "in stock", "stock_yes"),
            ("false", "out of stock", "stock_no"),
        )
        if counts[key]
    ]
    return Facets(
        categories=_facet_list(categories),
        brands=_facet_list(brands),
        attributes=_attribute_facets(base),
        price=price,
        rating=rating,
        in_stock=stock,
    )


#: The columns facets are counted over, read once per search into a materialised CTE.
_FACET_COLUMNS = (
    "category_slug",
    "category_name",
    "brand_slug",
    "brand_name",
    "best_price_minor",
    "rating_average",
    "in_stock",
    "facet_labels",
)


def _price_bands() -> list[tuple[int | None, int | None]]:
    bands: list[tuple[int | None, int | None]] = []
    previous: int | None = None
    for edge in PRICE_EDGES:
        bands.append((previous, edge))
        previous = edge
    bands.append((previous, None))
    return bands


def _pg_facets(matched: QuerySet[SearchDocument]) -> tuple[Facets, int]:
    """PostgreSQL: the number of matches and every facet in **one** query.

    The match (text search and filters, without ranking or ordering) is evaluated once
    into a materialised CTE of the few columns facets need; each facet is then one
    ``GROUP BY`` over that in-memory set. Price bands come from ``width_bucket``, rating
    steps from whole stars (cumulated here), attribute values from the precomputed
    ``facet_labels`` (split, not a ``jsonb`` expansion: the planner guesses 100 x 100
    rows per document for that, and the inflated cost crossed the JIT thresholds, where
    compiling took 1.5 s for a 0.1 s query). The total is the sum of the stock facet
    (every document is in stock or not)."""
    sub_sql, sub_params = matched.order_by().values(*_FACET_COLUMNS).query.sql_with_params()
    edges = ", ".join(str(int(e)) for e in PRICE_EDGES)
    sql = (
        f"WITH m AS MATERIALIZED ({sub_sql}) "  # noqa: S608 (Django's SQL and our constants)
        "SELECT 'category', category_slug, category_name, COUNT(*) FROM m "
        "GROUP BY category_slug, category_name "
        "UNION ALL SELECT 'brand', brand_slug, brand_name, COUNT(*) FROM m "
        "WHERE brand_slug <> '' GROUP BY brand_slug, brand_name "
        f"UNION ALL SELECT 'price', width_bucket(best_price_minor, ARRAY[{edges}]::bigint[])"
        "::text, '', COUNT(*) FROM m WHERE best_price_minor IS NOT NULL GROUP BY 2 "
        "UNION ALL SELECT 'rating', floor(rating_average)::int::text, '', COUNT(*) FROM m "
        "WHERE rating_average IS NOT NULL GROUP BY 2 "
        "UNION ALL SELECT 'stock', in_stock::text, '', COUNT(*) FROM m GROUP BY 2 "
        "UNION ALL SELECT 'attr', split_part(a.entry, '=', 1), "
        "substr(a.entry, strpos(a.entry, '=') + 1), COUNT(*) FROM m "
        "CROSS JOIN LATERAL unnest(string_to_array(m.facet_labels, %s)) AS a(entry) "
        "WHERE a.entry <> '' GROUP BY 2, 3"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*sub_params, FACET_SEPARATOR])
        rows = cursor.fetchall()
    categories: dict[tuple[str, str], int] = {}
    brands: dict[tuple[str, str], int] = {}
    price_counts: dict[int, int] = {}
    whole_stars: dict[int, int] = {}
    stock_counts: dict[str, int] = {}
    attributes: dict[str, dict[str, int]] = {}
    for kind, key, label, n in rows:
        if kind == "category":
            categories[(key, label)] = n
        elif kind == "brand":
            brands[(key, label)] = n
        elif kind == "price":
            price_counts[int(key)] = n
        elif kind == "rating":
            whole_stars[int(key)] = n
        elif kind == "stock":
            stock_counts[key] = n
        else:
            attributes.setdefault(key, {})[label] = n
    total = sum(stock_counts.values())
    if not total:
        return _empty_facets(), 0
    price = []
    for i, (low, high) in enumerate(_price_bands()):
        value, text = _price_label(low, high)
        if price_counts.get(i):
            price.append(FacetValue(value, text, price_counts[i]))
    rating = []
    for stars in RATING_STEPS:
        n = sum(count for whole, count in whole_stars.items() if whole >= stars)
        if n:
            rating.append(FacetValue(str(stars), f"{stars} stars and up", n))
    stock = [
        FacetValue(v, text, stock_counts[key])
        for v, text, key in (("true", "in stock", "true"), ("false", "out of stock", "false"))
        if stock_counts.get(key)
    ]
    facets = Facets(
        categories=_facet_list(categories),
        brands=_facet_list(brands),
        attributes=_attribute_facet_lists(attributes),
        price=price,
        rating=rating,
        in_stock=stock,
    )
    return facets, total


def _facet_list(counts: dict[tuple[str, str], int]) -> list[FacetValue]:
    items = [FacetValue(slug, label, n) for (slug, label), n in counts.items() if slug]
    return sorted(items, key=lambda f: (-f.count, f.label))


def _attribute_facets(base: QuerySet[Any]) -> dict[str, list[FacetValue]]:
    counts: dict[str, dict[str, int]] = {}
    if is_postgres():
        sub_sql, sub_params = base.query.sql_with_params()
        table = SearchDocument._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT kv.key, v.value, COUNT(*) FROM {table} d "  # noqa: S608 (our own SQL)
                f"CROSS JOIN LATERAL jsonb_each(d.attribute_values) AS kv(key, value) "
                f"CROSS JOIN LATERAL jsonb_array_elements_text("
                f"CASE WHEN jsonb_typeof(kv.value) = 'array' THEN kv.value "
                f"ELSE jsonb_build_array(kv.value) END) AS v(value) "
                f"WHERE d.product_id IN ({sub_sql}) GROUP BY kv.key, v.value",
                sub_params,
            )
            for code, value, n in cursor.fetchall():
                counts.setdefault(code, {})[value] = n
    else:
        values = SearchDocument.objects.filter(product_id__in=base).values_list(
            "attribute_values", flat=True
        )
        for attributes in values:
            for code, vals in (attributes or {}).items():
                for value in vals if isinstance(vals, list) else [vals]:
                    text = value if isinstance(value, str) else facet_value(value)
                    counts.setdefault(code, {})[text] = counts.setdefault(code, {}).get(text, 0) + 1
    return _attribute_facet_lists(counts)


def _attribute_facet_lists(counts: dict[str, dict[str, int]]) -> dict[str, list[FacetValue]]:
    facets: dict[str, list[FacetValue]] = {}
    for code in sorted(counts):
        items = [FacetValue(facet_value(v), v, n) for v, n in counts[code].items()]
        items.sort(key=lambda f: (-f.count, f.label))
        facets[code] = items[:ATTRIBUTE_FACET_VALUES]
    return facets


# --- suggestions ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProductSuggestion:
    product_id: uuid.UUID
    slug: str
    name: str


@dataclass(frozen=True)
class Suggestions:
    completions: list[str]
    products: list[ProductSuggestion]
    popular_queries: list[str]


def suggestions(*, q: str, limit: int = 8) -> Suggestions:
    """Autocomplete for a partly typed query: completions of its last word from the
    vocabulary, products whose words start with the typed ones, and popular past queries
    that start the same way (only those that found something). Three queries."""
    query_words = words(q)[:MAX_WORDS]
    if not query_words:
        return Suggestions(completions=[], products=[], popular_queries=[])
    head, last = query_words[:-1], query_words[-1]
    terms = (
        SearchTerm.objects.filter(term__startswith=last, documents__gt=0)
        .order_by("-documents", "term")
        .values_list("term", flat=True)[:limit]
    )
    completions = [" ".join([*head, t]) for t in terms]
    qs = published_documents()
    prefix_text = prefix_tsquery(q)
    if not prefix_text:
        products_qs: Any = qs.none()
    elif is_postgres():
        prefix = SearchQuery(prefix_text, search_type="raw", config=TS_CONFIG)
        products_qs = (
            qs.filter(search_vector=prefix)
            .annotate(rank=SearchRank(F("search_vector"), prefix, weights=RANK_WEIGHTS))
            .order_by("-rank", "-units_sold", "name")
        )
    else:
        products_qs = _fallback_match(qs, query_words).order_by("-rank", "-units_sold", "name")
    products = [
        ProductSuggestion(product_id=d.product_id, slug=d.slug, name=d.name)
        for d in products_qs.only("product_id", "slug", "name")[:limit]
    ]
    typed = " ".join(query_words)
    popular = list(
        SearchQueryStat.objects.filter(query__startswith=typed, last_result_count__gt=0)
        .order_by("-searches", "query")
        .values_list("query", flat=True)[:limit]
    )
    return Suggestions(completions=completions, products=products, popular_queries=popular)


# --- query statistics ----------------------------------------------------------------


def query_stats(*, zero_results_only: bool = False, limit: int = 50) -> list[SearchQueryStat]:
    """The most searched queries (or those that found nothing), most searched first."""
    qs = SearchQueryStat.objects.all()
    if zero_results_only:
        qs = qs.filter(zero_result_searches__gt=0).order_by(
            "-zero_result_searches", "-searches", "query"
        )
    else:
        qs = qs.order_by("-searches", "query")
    return list(qs[:limit])


def document_count() -> int:
    return published_documents().count()


def documents_by_id(ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, SearchDocument]:
    return {d.product_id: d for d in SearchDocument.objects.filter(product_id__in=list(ids))}


def unknown_filters(flt: SearchFilters) -> dict[str, list[str]]:
    """Filter values no published document has (a typo in a slug or an attribute code),
    by parameter name; checked in one query."""
    checks: dict[str, Any] = {}
    if flt.category:
        checks["category"] = Count(
            "product_id", filter=Q(category_path_text__contains=f"/{flt.category}/")
        )
    for i, brand in enumerate(flt.brands):
        checks[f"brand_{i}"] = Count("product_id", filter=Q(brand_slug=brand))
    codes = sorted(flt.attributes)
    for i, code in enumerate(codes):
        checks[f"attr_{i}"] = Count("product_id", filter=Q(facet_terms__contains=f"|{code}="))
    if not checks:
        return {}
    counts = published_documents().aggregate(**checks)
    errors: dict[str, list[str]] = {}
    if flt.category and not counts["category"]:
        errors["category"] = [f"Unknown category {flt.category!r}."]
    for i, brand in enumerate(flt.brands):
        if not counts[f"brand_{i}"]:
            errors.setdefault("brand", []).append(f"Unknown brand {brand!r}.")
    for i, code in enumerate(codes):
        if not counts[f"attr_{i}"]:
            errors[f"attr_{code}"] = [f"No product has the attribute {code!r}."]
    return errors
