"""Search behaviour on PostgreSQL: weights, stemming, prefixes, typos, web syntax,
filters, facets and sorting, over a small catalogue fed through the handlers."""

from __future__ import annotations

import pytest

from contexts.search import selectors
from contexts.search.selectors import SearchFilters, document_search, prefix_tsquery

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def shop(index, offer, rate):
    ids = {
        "iphone": index(
            "Apple iPhone 15 Pro",
            brand="Apple",
            attributes={"colour": ["Black", "Blue"], "storage_gb": [128, 256], "os": ["iOS"]},
        ),
        "galaxy": index(
            "Samsung Galaxy S24",
            brand="Samsung",
            attributes={"colour": ["Black"], "storage_gb": [256], "os": ["Android"]},
        ),
        "pixel": index(
            "Google Pixel 9",
            brand="Google",
            description="Works beautifully with headphones and an Apple watch.",
            attributes={"colour": ["White"], "storage_gb": [128], "os": ["Android"]},
        ),
        "xm5": index(
            "Sony WH-1000XM5 Wireless Headphones",
            brand="Sony",
            category="audio",
            attributes={"noise_cancelling": [True], "wireless": [True], "colour": ["Black"]},
        ),
        "studio": index(
            "Sony MDR-7506 Studio Headphones",
            brand="Sony",
            category="audio",
            attributes={"noise_cancelling": [False], "wireless": [False], "colour": ["Black"]},
        ),
        "kettle": index("Nordhaus Classic Kettle 1.7 L", brand="Nordhaus", category="kitchen"),
        "kettlebell": index("Acme Core Kettlebell 12 kg", category="kitchen"),
        "floor": index("Lumen Arc Floor Lamp", brand="Lumen", category="lighting"),
        "desk": index("Lumen Orbit Desk Lamp", brand="Lumen", category="lighting"),
        "cafe": index("Café Crème Espresso Machine", brand="Kitchenly", category="kitchen"),
    }
    offer(ids["iphone"], price=119_900)
    offer(ids["galaxy"], price=89_900)
    offer(ids["pixel"], price=79_900, available=0)
    offer(ids["xm5"], price=34_900)
    offer(ids["studio"], price=9_900)
    offer(ids["kettle"], price=3_900)
    rate(ids["iphone"], 4.6)
    rate(ids["galaxy"], 3.9)
    rate(ids["xm5"], 4.8)
    return ids


def names(q: str = "", **kwargs) -> list[str]:
    page = document_search(filters=SearchFilters(q=q, **kwargs), limit=50)
    return [d.name for d in page.results]


def test_name_outranks_description(shop):
    found = names("headphones")
    assert set(found[:2]) == {
        "Sony WH-1000XM5 Wireless Headphones",
        "Sony MDR-7506 Studio Headphones",
    }
    assert found[-1] == "Google Pixel 9"  # only its description mentions headphones


def test_brand_weighs_above_description(shop):
    assert names("apple")[0] == "Apple iPhone 15 Pro"


def test_stemming_and_prefixes(shop):
    assert names("headphone")[0].endswith("Headphones")
    assert names("iph") == ["Apple iPhone 15 Pro"]
    assert names("galax s2") == ["Samsung Galaxy S24"]


def test_whole_words_rank_above_prefixes(shop):
    assert names("kettle") == ["Nordhaus Classic Kettle 1.7 L", "Acme Core Kettlebell 12 kg"]


@pytest.mark.parametrize(
    ("typed", "corrected", "expected"),
    [
        ("iphnoe", "iphone", "Apple iPhone 15 Pro"),
        ("samsnug galaxy", "samsung galaxy", "Samsung Galaxy S24"),
        ("hedphones sony", "headphones sony", "Sony WH-1000XM5 Wireless Headphones"),
    ],
)
def test_typos_are_corrected_when_nothing_matches(shop, typed, corrected, expected):
    page = document_search(filters=SearchFilters(q=typed))
    assert page.corrected_query == corrected
    assert expected in [d.name for d in page.results]


def test_accents_do_not_matter_for_correction_or_prefixes(shop):
    assert names("cafe") == ["Café Crème Espresso Machine"]


def test_web_search_syntax(shop):
    assert names("lamp -desk") == ["Lumen Arc Floor Lamp"]
    assert names('"studio headphones"') == ["Sony MDR-7506 Studio Headphones"]
    assert set(names("kettle or lamp")) >= {
        "Nordhaus Classic Kettle 1.7 L",
        "Lumen Arc Floor Lamp",
        "Lumen Orbit Desk Lamp",
    }


@pytest.mark.parametrize(
    "hostile",
    ["&|!():*", "iphone & | !", "foo:* | bar", "'", "\\", "(((", "a" * 200, "🙂 iphone", "--"],
)
def test_tsquery_syntax_never_breaks_a_search(shop, hostile):
    page = document_search(filters=SearchFilters(q=hostile))
    assert page.total >= 0
    assert all(c.isalnum() or c in " &!:*_" for c in prefix_tsquery(hostile))


def test_operators_alone_browse_everything(shop):
    assert document_search(filters=SearchFilters(q="&|!():*")).total == len(shop)


def test_filters(shop):
    assert set(names(category="electronics")) >= {
        "Apple iPhone 15 Pro",
        "Sony MDR-7506 Studio Headphones",
    }
    assert "Lumen Arc Floor Lamp" not in names(category="electronics")
    assert names(brands=["samsung", "google"], sort="name") == [
        "Google Pixel 9",
        "Samsung Galaxy S24",
    ]
    assert names(attributes={"os": ["android"], "colour": ["white", "black"]}, sort="name") == [
        "Google Pixel 9",
        "Samsung Galaxy S24",
    ]
    assert names(price_min=30_000, price_max=90_000, sort="price_asc") == [
        "Sony WH-1000XM5 Wireless Headphones",
        "Google Pixel 9",
        "Samsung Galaxy S24",
    ]
    assert "Google Pixel 9" not in names(in_stock=True)
    assert names(rating_min=4.5, sort="rating") == [
        "Sony WH-1000XM5 Wireless Headphones",
        "Apple iPhone 15 Pro",
    ]
    assert names("headphones", attributes={"noise_cancelling": ["true"]}) == [
        "Sony WH-1000XM5 Wireless Headphones"
    ]


def test_facets_count_the_whole_result_set(shop):
    page = document_search(filters=SearchFilters(q="", category="electronics"), limit=1)
    facets = page.facets
    assert page.total == 5 and len(page.results) == 1
    assert {(f.value, f.count) for f in facets.categories} == {("phones", 3), ("audio", 2)}
    assert {(f.value, f.count) for f in facets.brands} == {
        ("sony", 2),
        ("apple", 1),
        ("samsung", 1),
        ("google", 1),
    }
    assert {(f.value, f.count) for f in facets.attributes["colour"]} == {
        ("black", 4),
        ("blue", 1),
        ("white", 1),
    }
    assert {(f.value, f.count) for f in facets.attributes["storage_gb"]} == {("128", 2), ("256", 2)}
    assert {(f.value, f.count) for f in facets.attributes["wireless"]} == {
        ("true", 1),
        ("false", 1),
    }
    assert [(f.value, f.count) for f in facets.price] == [
        ("5000-10000", 1),
        ("25000-50000", 1),
        ("50000-100000", 2),
        ("100000-*", 1),
    ]
    assert [(f.value, f.count) for f in facets.rating] == [("4", 2), ("3", 3), ("2", 3), ("1", 3)]
    assert [(f.value, f.count) for f in facets.in_stock] == [("true", 4), ("false", 1)]


def test_sorts(shop):
    assert names(category="phones", sort="price_desc") == [
        "Apple iPhone 15 Pro",
        "Samsung Galaxy S24",
        "Google Pixel 9",
    ]
    assert names(category="lighting", sort="price_asc") == [
        "Lumen Arc Floor Lamp",
        "Lumen Orbit Desk Lamp",
    ]  # no price: last, by name
    for sort in selectors.SORTS:
        assert len(names("sony", sort=sort)) == 2


def test_unknown_filters_are_named(shop):
    errors = selectors.unknown_filters(
        SearchFilters(category="nope", brands=["sony", "nobrand"], attributes={"zzz": ["1"]})
    )
    assert set(errors) == {"category", "brand", "attr_zzz"}
    assert selectors.unknown_filters(SearchFilters(category="audio", brands=["sony"])) == {}


def test_suggestions(shop, db):
    from contexts.search import services

    services.query_record(q="iphone 15", result_count=1)
    services.query_record(q="iphone 99", result_count=0)
    result = selectors.suggestions(q="iph")
    assert result.completions == ["iphone"]
    assert [p.name for p in result.products] == ["Apple iPhone 15 Pro"]
    assert result.popular_queries == ["iphone 15"]
    assert selectors.suggestions(q="sony hea").completions == ["sony headphones"]
    assert selectors.suggestions(q="&&").products == []


def test_vocabulary_damerau_distance():
    assert selectors.damerau_levenshtein("iphnoe", "iphone") == 1
    assert selectors.damerau_levenshtein("kitten", "sitting") == 3
    assert selectors.normalise_query("  Crème   BRÛLÉE ") == "creme brulee"
