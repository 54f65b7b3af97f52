"""The demo catalogue: big enough, believable, deterministic and idempotent."""

from __future__ import annotations

import io

import pytest

from bazaar_platform.events.models import OutboxMessage
from bazaar_platform.seeding import SeedContext
from contexts.catalog import services
from contexts.catalog.models import Attribute, Brand, Category, Product, ProductType, Variant
from contexts.catalog.seed import seed_demo_catalog

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _state() -> dict[str, object]:
    return {
        "categories": sorted(Category.objects.values_list("id", "path")),
        "brands": sorted(Brand.objects.values_list("id", "slug")),
        "types": sorted(ProductType.objects.values_list("id", "slug")),
        "attributes": Attribute.objects.count(),
        "products": sorted(Product.objects.values_list("id", "slug", "status", "attributes")),
        "variants": sorted(Variant.objects.values_list("id", "sku", "attributes")),
    }


def test_seed_builds_a_believable_catalogue_once():
    out = io.StringIO()
    seed_demo_catalog(SeedContext(out=out))
    assert "seed catalog products" in out.getvalue()

    assert Product.objects.count() >= 300
    assert Variant.objects.count() > Product.objects.count()
    assert 20 <= Brand.objects.count() <= 30
    published = Product.objects.filter(status=Product.Status.PUBLISHED)
    assert published.count() >= 280
    names = set(Product.objects.values_list("name", flat=True))
    for expected in (
        "Apple iPhone 15 Pro",
        "Samsung Galaxy S24 Ultra",
        "Lenovo ThinkPad X1 Carbon Gen 11",
    ):
        assert expected in names
    assert Category.objects.get(slug="phones").parent.slug == "electronics"
    assert {c.slug for c in Category.objects.filter(depth=0)} >= {
        "electronics", "home", "fashion", "books", "sports"
    }  # fmt: skip
    # every published product is complete enough to pass the publication rules
    for product in published.order_by("?")[:25]:
        services.product_unpublish(product_id=product.pk)
        services.product_publish(product_id=product.pk)
    # and was announced, so event-fed read models know it
    announced = OutboxMessage.objects.filter(event_type="catalog.product_published").count()
    assert announced >= published.count()

    before = _state()
    outbox_before = OutboxMessage.objects.count()
    seed_demo_catalog(SeedContext(out=io.StringIO(), quiet=True))
    assert _state() == before
    assert OutboxMessage.objects.count() == outbox_before


def test_seed_is_deterministic_and_fills_only_what_is_missing():
    seed_demo_catalog(SeedContext(out=io.StringIO(), quiet=True))
    full = _state()
    victim = Product.objects.get(slug="apple-iphone-15-pro")
    Variant.objects.filter(product=victim).delete()
    victim.delete()
    seed_demo_catalog(SeedContext(out=io.StringIO(), quiet=True))
    assert _state() == full
