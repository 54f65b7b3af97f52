"""The facade: what other contexts may call. Frozen dataclasses, ids in, ids out."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from bazaar_platform.api.errors import ApplicationError
from contexts.catalog import facade, services
from contexts.catalog.models import Product, Variant
from contexts.catalog.tests.conftest import image_bytes, upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_product_summaries_by_ids(make_phone, django_assert_num_queries):
    published = make_phone("Acme Phone X", variants=[("X-1", 128, "Black")], publish=True)
    draft = make_phone("Acme Phone Y", variants=[("Y-1", 128, "Black")])
    services.product_image_add(product_id=published.pk, file=upload(image_bytes()), alt_text="a")
    services.product_image_add(product_id=published.pk, file=upload(image_bytes()), alt_text="b")
    missing = uuid.uuid4()
    with django_assert_num_queries(2):
        summaries = facade.product_summaries([published.pk, str(draft.pk), missing, "junk"])
    assert set(summaries) == {published.pk, draft.pk}
    summary = summaries[published.pk]
    assert dataclasses.is_dataclass(summary)
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.name = "changed"
    assert (summary.name, summary.slug, summary.is_published) == (
        "Acme Phone X",
        "acme-phone-x",
        True,
    )
    assert summary.brand_name == "Acme"
    assert summary.category_name == "Smartphones"
    first_image = published.images.order_by("position").first()
    assert summary.thumbnail_url is not None and summary.thumbnail_url.endswith(
        first_image.thumbnail.name
    )
    assert summaries[draft.pk].is_published is False
    assert summaries[draft.pk].thumbnail_url is None
    assert facade.product_summaries([]) == {}


def test_variant_lookup_and_purchasability(make_phone):
    product = make_phone(variants=[("V-1", 128, "Black"), ("V-2", 256, "White")], publish=True)
    v1, v2 = Variant.objects.get(sku="V-1"), Variant.objects.get(sku="V-2")
    info = facade.variant_get(v1.pk)
    assert info is not None
    assert (info.product_id, info.sku, info.product_published) == (product.pk, "V-1", True)
    assert info.attributes == {
        "colour": "Black",
        "os": "Android",
        "screen_size_in": 6.1,
        "storage_gb": 128,
    }
    assert info.is_purchasable
    assert hash(info)  # usable as a dict key despite carrying a mapping

    assert facade.variant_is_purchasable(v1.pk) is True
    services.variant_update(variant_id=v2.pk, is_active=False)
    assert facade.variant_is_purchasable(v2.pk) is False
    assert facade.variant_lookup([v2.pk])[v2.pk].is_purchasable is False

    services.product_unpublish(product_id=product.pk)
    assert facade.variant_is_purchasable(v1.pk) is False
    assert facade.variant_get(v1.pk).product_published is False

    assert facade.variant_get(uuid.uuid4()) is None
    assert facade.variant_is_purchasable("not-a-uuid") is False


def test_category_subtree_ids(tree):
    assert set(facade.category_subtree_ids(tree.phones.pk)) == {tree.phones.pk, tree.smartphones.pk}
    assert facade.category_subtree_ids(uuid.uuid4()) == []
    assert facade.category_subtree_ids("garbage") == []


def test_a_vendor_proposal_lands_as_a_draft(tree, phone_type, acme):
    vendor_id = uuid.uuid4()
    proposed = facade.product_propose(
        vendor_id=vendor_id,
        name="Vendor Phone 9",
        category_id=tree.phones.pk,
        product_type_id=phone_type.pk,
        brand_id=acme.pk,
        description="<p>Ours.</p><script>x()</script>",
        attributes={"os": "Android"},
        variants=[
            facade.ProposedVariant(sku="VP9-64", attributes={"storage_gb": 64, "colour": "Blue"})
        ],
    )
    assert proposed.status == "draft"
    assert proposed.slug == "vendor-phone-9"
    product = Product.objects.get(pk=proposed.product_id)
    assert product.proposed_by_vendor_id == vendor_id
    assert product.description == "<p>Ours.</p>"
    assert list(product.variants.values_list("id", flat=True)) == list(proposed.variant_ids)
    assert facade.variant_is_purchasable(proposed.variant_ids[0]) is False  # not curated yet


def test_a_bad_proposal_is_refused_whole(tree, phone_type):
    with pytest.raises(ApplicationError):
        facade.product_propose(
            vendor_id=uuid.uuid4(),
            name="Bad",
            category_id=tree.phones.pk,
            product_type_id=phone_type.pk,
            variants=[facade.ProposedVariant(sku="BAD-1", attributes={"storage_gb": "many"})],
        )
    assert not Product.objects.filter(name="Bad").exists()
