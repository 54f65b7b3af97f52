"""HTTP tests of the browsing API: filters, sorting, pagination, detail, bad input
(always a 4xx in the error envelope), constant query counts and conditional GET."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlencode

import factory
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contexts.catalog import services
from contexts.catalog.models import Product
from contexts.catalog.tests.conftest import image_bytes, upload
from contexts.catalog.tests.factories import BrandFactory, ProductFactory, VariantFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PRODUCTS = "/api/v1/catalog/products/"
STORES = [uuid.UUID(int=n + 1) for n in range(3)]


def add_offer(product, variant, *, store, price, currency="EUR", available=5, live=True):
    """An offer as the vendors context's listing events leave it (through the handler's
    service, as a delivered ``vendors.listing_updated`` would)."""
    services.offer_upsert(
        snapshot=services.OfferSnapshot(
            listing_id=uuid.uuid4(),
            product_id=product.pk,
            variant_id=variant.pk,
            store_id=store,
            vendor_id=store,
            price_minor=price,
            currency=currency,
            condition="new",
            available=available,
            is_purchasable=live,
            updated_at=timezone.now(),
            store_name=f"Store {store.int}",
            store_slug=f"store-{store.int}",
        )
    )


def _ok(response) -> dict:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["error"] is None
    return body


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["data"] is None
    assert body["error"]["code"] == code
    assert body["error"]["request_id"] == response["X-Request-ID"]
    return body["error"]


def _names(response) -> list[str]:
    return [item["name"] for item in _ok(response)["data"]]


@pytest.fixture
def catalogue(make_phone, tree, phone_type):
    """Published phones in two categories, a draft, a laptop elsewhere."""
    iphone = make_phone(
        "Apple iPhone 15 Pro",
        variants=[("IP15-128-B", 128, "Black"), ("IP15-256-W", 256, "White")],
        publish=True,
        os="iOS",
        wireless_charging=True,
    )
    galaxy = make_phone(
        "Samsung Galaxy S24",
        variants=[("GS24-256-B", 256, "Blue")],
        publish=True,
        category=tree.phones,
        wireless_charging=False,
    )
    make_phone("Acme Draft Phone", variants=[("DRAFT-1", 64, "Black")])
    laptop_brand = BrandFactory(name="Lenovo")
    laptop = ProductFactory(
        name="Lenovo ThinkPad X1 Carbon",
        category=tree.laptops,
        brand=laptop_brand,
        published=True,
    )
    VariantFactory(product=laptop)
    Product.objects.filter(pk=galaxy.pk).update(published_at=timezone.now() - timedelta(days=3))
    Product.objects.filter(pk=laptop.pk).update(published_at=timezone.now() - timedelta(days=9))
    return {"iphone": iphone, "galaxy": galaxy, "laptop": laptop}


# --- categories and brands ------------------------------------------------------------------


def test_category_tree_is_nested(client, tree):
    data = _ok(client.get("/api/v1/catalog/categories/"))["data"]
    electronics = next(c for c in data if c["slug"] == "electronics")
    phones = next(c for c in electronics["children"] if c["slug"] == "phones")
    assert [c["slug"] for c in phones["children"]] == ["smartphones"]
    assert phones["depth"] == 1


def test_brands_are_listed_by_name(client, catalogue):
    assert [b["name"] for b in _ok(client.get("/api/v1/catalog/brands/"))["data"]] == [
        "Acme",
        "Lenovo",
    ]


# --- product list -----------------------------------------------------------------------------


def test_only_published_products_are_listed_newest_first(client, catalogue):
    body = _ok(client.get(PRODUCTS))
    assert [p["name"] for p in body["data"]] == [
        "Apple iPhone 15 Pro",
        "Samsung Galaxy S24",
        "Lenovo ThinkPad X1 Carbon",
    ]
    assert body["meta"]["pagination"]["count"] == 3
    first = body["data"][0]
    assert first["brand"]["slug"] == "acme"
    assert first["category"]["slug"] == "smartphones"
    assert first["attributes"]["os"] == "iOS"


def test_category_filter_includes_descendants(client, catalogue):
    assert _names(client.get(PRODUCTS, {"category": "electronics", "sort": "name"})) == [
        "Apple iPhone 15 Pro",
        "Lenovo ThinkPad X1 Carbon",
        "Samsung Galaxy S24",
    ]
    assert _names(client.get(PRODUCTS, {"category": "phones", "sort": "name"})) == [
        "Apple iPhone 15 Pro",
        "Samsung Galaxy S24",
    ]
    assert _names(client.get(PRODUCTS, {"category": "smartphones"})) == ["Apple iPhone 15 Pro"]
    assert _names(client.get(PRODUCTS, {"category": "home"})) == []


def test_brand_filter_accepts_several_brands(client, catalogue):
    assert _names(client.get(PRODUCTS, {"brand": "lenovo"})) == ["Lenovo ThinkPad X1 Carbon"]
    assert len(_names(client.get(f"{PRODUCTS}?brand=lenovo&brand=acme"))) == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("attr_colour=White", ["Apple iPhone 15 Pro"]),  # a variant-level choice
        ("attr_storage_gb=256", ["Apple iPhone 15 Pro", "Samsung Galaxy S24"]),  # variant number
        ("attr_storage_gb=256.0", ["Apple iPhone 15 Pro", "Samsung Galaxy S24"]),
        ("attr_storage_gb=64", []),  # only the draft has it
        ("attr_os=iOS", ["Apple iPhone 15 Pro"]),  # a product-level choice
        ("attr_wireless_charging=false", ["Samsung Galaxy S24"]),  # a boolean
        ("attr_colour=Blue&attr_colour=White", ["Apple iPhone 15 Pro", "Samsung Galaxy S24"]),
        ("attr_colour=Blue&attr_storage_gb=128", []),  # codes combine with AND
        ("attr_screen_size_in=6.1&attr_os=Android", ["Samsung Galaxy S24"]),
    ],
)
def test_attribute_filters(client, catalogue, query, expected):
    assert _names(client.get(f"{PRODUCTS}?sort=name&{query}")) == expected


def test_inactive_variants_do_not_match_filters(client, catalogue):
    white = catalogue["iphone"].variants.get(sku="IP15-256-W")
    services.variant_update(variant_id=white.pk, is_active=False)
    assert _names(client.get(f"{PRODUCTS}?attr_colour=White")) == []


def test_search_words_must_all_appear_in_the_name(client, catalogue):
    assert _names(client.get(PRODUCTS, {"q": "iphone"})) == ["Apple iPhone 15 Pro"]
    assert _names(client.get(PRODUCTS, {"q": "  PRO  apple "})) == ["Apple iPhone 15 Pro"]
    assert _names(client.get(PRODUCTS, {"q": "iphone galaxy"})) == []
    assert _names(client.get(PRODUCTS, {"q": "thinkpad"})) == ["Lenovo ThinkPad X1 Carbon"]
    assert len(_names(client.get(PRODUCTS, {"q": ""}))) == 3  # an empty search box


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Apple iPhone 15 Pro", "Lenovo ThinkPad X1 Carbon", "Samsung Galaxy S24"]),
        ("-name", ["Samsung Galaxy S24", "Lenovo ThinkPad X1 Carbon", "Apple iPhone 15 Pro"]),
        ("newest", ["Apple iPhone 15 Pro", "Samsung Galaxy S24", "Lenovo ThinkPad X1 Carbon"]),
        ("oldest", ["Lenovo ThinkPad X1 Carbon", "Samsung Galaxy S24", "Apple iPhone 15 Pro"]),
    ],
)
def test_sorting(client, catalogue, sort, expected):
    assert _names(client.get(PRODUCTS, {"sort": sort})) == expected


def test_pagination(client, catalogue):
    body = _ok(client.get(PRODUCTS, {"sort": "name", "limit": 2, "offset": 1}))
    assert [p["name"] for p in body["data"]] == ["Lenovo ThinkPad X1 Carbon", "Samsung Galaxy S24"]
    assert body["meta"]["pagination"]["count"] == 3
    assert body["meta"]["pagination"]["previous"]


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "status", "code", "field"),
    [
        ("catgory=phones", 400, "validation_error", "catgory"),
        ("attr_Colour=Red", 400, "validation_error", "attr_Colour"),
        ("category=atlantis", 400, "unknown_category", "category"),
        ("category=not%20a%20slug", 400, "validation_error", "category"),
        ("brand=nobody", 400, "unknown_brand", "brand"),
        ("attr_flux_capacitor=1", 400, "unknown_attribute", "attr_flux_capacitor"),
        ("attr_storage_gb=lots", 400, "invalid_attribute_value", "attr_storage_gb"),
        (
            "attr_wireless_charging=perhaps",
            400,
            "invalid_attribute_value",
            "attr_wireless_charging",
        ),
        ("attr_colour=Purple", 400, "invalid_attribute_value", "attr_colour"),
        ("min_price=500&max_price=100", 400, "invalid_price_range", "min_price"),
        ("min_price=-1", 400, "validation_error", "min_price"),
        ("max_price=lots", 400, "validation_error", "max_price"),
        ("currency=EURO", 400, "validation_error", "currency"),
        ("currency=ZZZ", 400, "invalid_currency", "currency"),
        ("store=not-a-uuid", 400, "validation_error", "store"),
        ("store=00000000-0000-0000-0000-000000000001", 400, "unknown_store", "store"),
        ("in_stock=perhaps", 400, "validation_error", "in_stock"),
        ("sort=popularity", 400, "unknown_sort", "sort"),
        ("limit=100000", 400, "validation_error", "limit"),
        ("limit=0", 400, "validation_error", "limit"),
        ("limit=ten", 400, "validation_error", "limit"),
        ("offset=-1", 400, "validation_error", "offset"),
        ("q=" + "x" * 201, 400, "validation_error", "q"),
        ("q=a+b+c+d+e+f+g+h+i", 400, "invalid_filter", "q"),
        ("q=%00", 400, "validation_error", "q"),
        ("category=%00", 400, "validation_error", "category"),
        ("attr_model_code=%00", 400, "invalid_attribute_value", "attr_model_code"),
        ("attr_model_code=" + "x" * 201, 400, "invalid_attribute_value", "attr_model_code"),
        ("brand=" + "&brand=".join(f"b{i}" for i in range(21)), 400, "validation_error", "brand"),
    ],
)
def test_bad_list_input_is_a_clear_400(client, catalogue, query, status, code, field):
    error = _error(client.get(f"{PRODUCTS}?{query}"), status, code)
    assert field in error["fields"]


def test_too_many_attribute_filters_are_refused(client, catalogue):
    query = "&".join(f"attr_a{i}=1" for i in range(11))
    _error(client.get(f"{PRODUCTS}?{query}"), 400, "invalid_filter")


def test_unknown_routes_and_methods_are_enveloped(client, catalogue):
    _error(client.get("/api/v1/catalog/products/no%20such/"), 404, "not_found")
    _error(client.post(PRODUCTS, {}, content_type="application/json"), 405, "method_not_allowed")
    _error(client.delete(f"{PRODUCTS}apple-iphone-15-pro/"), 405, "method_not_allowed")


# --- detail ---------------------------------------------------------------------------------------


def test_detail_shows_variants_attributes_and_category_path(client, catalogue):
    data = _ok(client.get(f"{PRODUCTS}apple-iphone-15-pro/"))["data"]
    assert data["name"] == "Apple iPhone 15 Pro"
    assert data["description"] == "<p>A <b>fine</b> phone.</p>"
    assert [c["slug"] for c in data["category_path"]] == ["electronics", "phones", "smartphones"]
    assert {a["code"]: a["value"] for a in data["attributes"]} == {
        "os": "iOS",
        "screen_size_in": 6.1,
        "wireless_charging": True,
    }
    assert [a["code"] for a in data["variant_attributes"]] == ["storage_gb", "colour"]
    assert data["variant_attributes"][1]["allowed_values"] == ["Black", "White", "Blue"]
    assert [(v["sku"], v["attributes"]) for v in data["variants"]] == [
        ("IP15-128-B", {"colour": "Black", "storage_gb": 128}),
        ("IP15-256-W", {"colour": "White", "storage_gb": 256}),
    ]
    assert data["product_type"]["slug"] == "phone"


def test_detail_of_drafts_and_unknown_slugs_is_404(client, catalogue):
    _error(client.get(f"{PRODUCTS}acme-draft-phone/"), 404, "not_found")
    _error(client.get(f"{PRODUCTS}no-such-product/"), 404, "not_found")
    services.product_unpublish(product_id=catalogue["galaxy"].pk)
    _error(client.get(f"{PRODUCTS}samsung-galaxy-s24/"), 404, "not_found")


def test_detail_of_a_merged_duplicate_redirects_permanently(client, make_phone, catalogue):
    duplicate = make_phone(
        "Apple iPhone 15 Pro (copy)", variants=[("COPY-1", 128, "Black")], publish=True
    )
    services.products_merge(
        target_product_id=catalogue["iphone"].pk, duplicate_product_ids=[duplicate.pk]
    )
    response = client.get(f"{PRODUCTS}{duplicate.slug}/")
    assert response.status_code == 301
    assert response["Location"] == f"{PRODUCTS}apple-iphone-15-pro/"
    assert response.json()["data"]["slug"] == "apple-iphone-15-pro"


def test_detail_refuses_query_parameters(client, catalogue):
    _error(client.get(f"{PRODUCTS}apple-iphone-15-pro/?expand=all"), 400, "validation_error")


# --- query counts -----------------------------------------------------------------------------


@pytest.fixture
def sixty_products(tree, phone_type):
    brands = [BrandFactory(name=f"Maker {i}") for i in range(3)]
    products = ProductFactory.create_batch(
        60,
        category=tree.smartphones,
        product_type=phone_type,
        brand=factory.Iterator(brands),
        attributes={"os": "Android"},
        published=True,
    )
    for i, product in enumerate(products):
        variant = VariantFactory(product=product, attributes={"storage_gb": 128, "colour": "Black"})
        for store in range(3):  # three stores compete on every product
            add_offer(product, variant, store=STORES[store], price=1000 + 10 * i + store)
    return products


# Last-Modified (4 aggregates: products, categories, brands, offers) + count + the page's
# ids in order (the "from" price joined from the offer summary) + the page's rows (brand,
# category, thumbnail, offer count and stock). Category, brand, attribute and store
# filters each add one lookup; nothing depends on the page size.
@pytest.mark.parametrize("limit", [1, 50])
def test_list_query_count_does_not_depend_on_page_size(
    client, sixty_products, django_assert_num_queries, limit
):
    with django_assert_num_queries(7):
        body = _ok(client.get(PRODUCTS, {"limit": limit, "sort": "price"}))
    assert len(body["data"]) == limit
    assert body["data"][0]["price_from"] == {"amount_minor": 1000, "currency": "EUR"}
    assert body["data"][0]["offer_count"] == 3


@pytest.mark.parametrize("limit", [1, 50])
def test_filtered_list_query_count_does_not_depend_on_page_size(
    client, sixty_products, django_assert_num_queries, limit
):
    query = {
        "limit": limit,
        "category": "electronics",
        "brand": "maker-0",
        "attr_colour": "Black",
        "store": str(STORES[1]),
        "min_price": 1000,
        "max_price": 2000,
        "in_stock": "true",
    }
    with django_assert_num_queries(11):
        body = _ok(client.get(PRODUCTS, query))
    assert len(body["data"]) == min(limit, 20)


@pytest.mark.parametrize("variants", [1, 25])
def test_detail_query_count_does_not_depend_on_variants_or_images(
    client, tree, phone_type, django_assert_num_queries, variants
):
    product = ProductFactory(
        name="Counted", category=tree.smartphones, product_type=phone_type, published=True
    )
    for i in range(variants):
        VariantFactory(product=product, attributes={"storage_gb": 64 * (i + 1), "colour": "Black"})
    for _ in range(min(variants, 3)):
        services.product_image_add(product_id=product.pk, file=upload(image_bytes()))
    for variant in product.variants.all():
        for store in range(3):
            add_offer(product, variant, store=STORES[store], price=900 - store)
    # product + variants + images + attribute definitions + offers + category ancestors
    with django_assert_num_queries(6):
        data = _ok(client.get(f"{PRODUCTS}counted/"))["data"]
    assert len(data["variants"]) == variants
    assert [o["price_minor"] for o in data["variants"][0]["offers"]] == [898, 899, 900]


# --- conditional GET ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [PRODUCTS, f"{PRODUCTS}apple-iphone-15-pro/", "/api/v1/catalog/categories/"]
)
def test_conditional_get_answers_304(client, catalogue, url):
    first = client.get(url)
    assert first.status_code == 200
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('W/"')

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag

    assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='W/"something-else"').status_code == 200


def test_a_change_changes_the_etag(client, catalogue):
    before = client.get(f"{PRODUCTS}apple-iphone-15-pro/")["ETag"]
    list_before = client.get(PRODUCTS)["ETag"]
    services.product_update(product_id=catalogue["iphone"].pk, name="Apple iPhone 15 Pro Max")
    after = client.get(f"{PRODUCTS}apple-iphone-15-pro/", HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200
    assert after.json()["data"]["name"] == "Apple iPhone 15 Pro Max"
    assert client.get(PRODUCTS, HTTP_IF_NONE_MATCH=list_before).status_code == 200


def test_a_product_leaving_the_list_changes_its_etag(client, catalogue):
    list_before = client.get(PRODUCTS, {"category": "phones"})["ETag"]
    services.product_unpublish(product_id=catalogue["galaxy"].pk)
    response = client.get(PRODUCTS, {"category": "phones"}, HTTP_IF_NONE_MATCH=list_before)
    assert response.status_code == 200
    assert _names(response) == ["Apple iPhone 15 Pro"]


def test_a_brand_rename_changes_the_detail(client, catalogue, acme):
    before = client.get(f"{PRODUCTS}apple-iphone-15-pro/")["ETag"]
    services.brand_update(brand_id=acme.pk, name="Acme Corp")
    after = client.get(f"{PRODUCTS}apple-iphone-15-pro/", HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200
    assert after.json()["data"]["brand"]["name"] == "Acme Corp"


# --- no input makes a 500 ------------------------------------------------------------------------

_PARAM_NAMES = st.sampled_from(
    ["category", "brand", "q", "sort", "limit", "offset", "attr_colour", "attr_storage_gb",
     "attr_wireless_charging", "attr_model_code", "attr_os", "attr_nope", "attr_", "other"]
)  # fmt: skip
_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["electronics", "acme", "128", "-1", "1e309", "nan", "true", "Black", "name"]),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(params=st.lists(st.tuples(_PARAM_NAMES, _VALUES), max_size=5))
def test_any_query_is_answered_with_200_or_a_400_envelope(client, catalogue, params):
    response = client.get(PRODUCTS + "?" + urlencode(params))
    assert response.status_code in (200, 400), (params, response.content)
    body = response.json()
    assert (body["error"] is None) == (response.status_code == 200)


# --- offers: price filters and sort, stores, stock ----------------------------------------------


@pytest.fixture
def offered(catalogue):
    """Three published phones with offers: prices in EUR from three stores, one USD offer,
    one offer out of stock and one not purchasable (closed store)."""
    by_slug = {p.slug: p for p in Product.objects.filter(status="published")}
    names = sorted(by_slug)[:3]
    cheap, mid, dear = (by_slug[n] for n in names)
    for product, prices in ((cheap, (500, 700)), (mid, (900, 1500)), (dear, (2500,))):
        variant = product.variants.filter(is_active=True).first()
        for store, price in zip(STORES, prices, strict=False):
            add_offer(product, variant, store=store, price=price)
    add_offer(dear, dear.variants.first(), store=STORES[2], price=100, currency="USD")
    add_offer(mid, mid.variants.first(), store=STORES[2], price=50, available=0)
    add_offer(cheap, cheap.variants.first(), store=STORES[2], price=10, live=False)
    return cheap, mid, dear


def test_price_sort_and_from_price(client, offered):
    cheap, mid, dear = offered
    data = _ok(client.get(PRODUCTS, {"sort": "price"}))["data"]
    priced = [(p["slug"], p["price_from"]) for p in data if p["price_from"]]
    assert priced == [
        (mid.slug, {"amount_minor": 50, "currency": "EUR"}),
        (cheap.slug, {"amount_minor": 500, "currency": "EUR"}),
        (dear.slug, {"amount_minor": 2500, "currency": "EUR"}),
    ]
    assert all(p["price_from"] is None for p in data[3:])  # products without offers last
    descending = _names(client.get(PRODUCTS, {"sort": "-price"}))
    assert descending[:3] == [dear.name, cheap.name, mid.name]
    usd = _ok(client.get(PRODUCTS, {"sort": "price", "currency": "USD"}))["data"]
    assert usd[0]["price_from"] == {"amount_minor": 100, "currency": "USD"}
    assert [p["slug"] for p in usd] == [dear.slug]  # a currency filter keeps its offers only


def test_price_range_store_and_stock_filters(client, offered):
    cheap, mid, dear = offered
    in_range = _ok(client.get(PRODUCTS, {"min_price": 600, "max_price": 1000}))["data"]
    assert sorted(p["slug"] for p in in_range) == sorted([cheap.slug, mid.slug])
    exact = _ok(client.get(PRODUCTS, {"min_price": 2500, "max_price": 2500}))["data"]
    assert [p["slug"] for p in exact] == [dear.slug]
    third_store = _ok(client.get(PRODUCTS, {"store": str(STORES[2])}))["data"]
    assert sorted(p["slug"] for p in third_store) == sorted([mid.slug, dear.slug])
    stocked = _ok(client.get(PRODUCTS, {"store": str(STORES[2]), "in_stock": "true"}))["data"]
    assert [p["slug"] for p in stocked] == [dear.slug]
    assert all(p["in_stock"] for p in stocked)


def test_detail_lists_every_stores_offer_cheapest_first(client, offered):
    _, mid, _ = offered
    data = _ok(client.get(f"{PRODUCTS}{mid.slug}/"))["data"]
    variant = next(v for v in data["variants"] if v["offers"])
    assert [(o["price_minor"], o["available"], o["in_stock"]) for o in variant["offers"]] == [
        (50, 0, False),
        (900, 5, True),
        (1500, 5, True),
    ]
    assert variant["available"] == 10
    assert variant["offers"][1]["store_name"] == "Store 1"


def test_offer_changes_move_the_validators(client, offered):
    cheap, _, _ = offered
    url = f"{PRODUCTS}{cheap.slug}/"
    for target in (PRODUCTS, url):
        first = client.get(target)
        etag = first["ETag"]
        assert client.get(target, HTTP_IF_NONE_MATCH=etag).status_code == 304
        add_offer(cheap, cheap.variants.first(), store=STORES[2], price=1, available=1)
        changed = client.get(target, HTTP_IF_NONE_MATCH=etag)
        assert changed.status_code == 200
        assert changed["ETag"] != etag
