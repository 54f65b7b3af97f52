"""Selectors: event snapshots are built in a constant number of queries."""

from __future__ import annotations

import pytest

from contexts.catalog import selectors, services
from contexts.catalog.tests.factories import ProductFactory, VariantFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.mark.parametrize("count", [1, 30])
def test_snapshots_take_three_queries_for_any_number_of_products(
    tree, phone_type, django_assert_num_queries, count
):
    products = ProductFactory.create_batch(
        count, category=tree.smartphones, product_type=phone_type
    )
    for product in products:
        VariantFactory(product=product, attributes={"storage_gb": 64, "colour": "Blue"})
    with django_assert_num_queries(3):
        snapshots = selectors.product_snapshots(product_ids=[p.pk for p in products])
    assert len(snapshots) == count
    assert snapshots[products[0].pk]["category_path"] == ["Electronics", "Phones", "Smartphones"]


def test_snapshot_ignores_inactive_variants(make_phone):
    product = make_phone(variants=[("S-1", 64, "Black"), ("S-2", 128, "White")])
    services.variant_update(variant_id=product.variants.get(sku="S-2").pk, is_active=False)
    snapshot = selectors.product_snapshots(product_ids=[product.pk])[product.pk]
    assert snapshot["skus"] == ["S-1"]
    assert snapshot["attribute_values"]["colour"] == ["Black"]
