"""Staff admin: pages render, saves go through the services (so refusals are form
errors, not 500s), and the publish / unpublish / merge actions work."""

from __future__ import annotations

import json
import uuid

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile

from bazaar_platform.events.models import OutboxMessage
from contexts.catalog import services
from contexts.catalog.models import Category, Product, ProductImage, Variant
from contexts.catalog.tests.conftest import image_bytes

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ADMIN = "/admin/catalog"


@pytest.mark.parametrize("model", ["category", "brand", "producttype", "product"])
def test_changelists_and_add_pages_render(admin_client, make_phone, model):
    make_phone(publish=True)
    assert admin_client.get(f"{ADMIN}/{model}/").status_code == 200
    assert admin_client.get(f"{ADMIN}/{model}/add/").status_code == 200


def test_change_pages_render_with_inlines(admin_client, make_phone, phone_type):
    product = make_phone(publish=True)
    response = admin_client.get(f"{ADMIN}/product/{product.pk}/change/")
    assert response.status_code == 200
    assert b"variants-TOTAL_FORMS" in response.content
    assert b"images-TOTAL_FORMS" in response.content
    assert admin_client.get(f"{ADMIN}/producttype/{phone_type.pk}/change/").status_code == 200


def _product_post(**overrides) -> dict:
    return {
        "name": "Admin Phone",
        "slug": "admin-phone",
        "description": "<p>Made in admin<script>x()</script></p>",
        "attributes": json.dumps({"os": "iOS"}),
        **overrides,
    }


def test_adding_a_product_goes_through_the_service(admin_client, tree, phone_type, acme):
    response = admin_client.post(
        f"{ADMIN}/product/add/",
        _product_post(brand=acme.pk, category=tree.phones.pk, product_type=phone_type.pk),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    product = Product.objects.get(slug="admin-phone")
    assert product.description == "<p>Made in admin</p>"
    assert product.status == Product.Status.DRAFT
    assert (
        OutboxMessage.objects.filter(
            event_type="catalog.product_updated", aggregate_id=str(product.pk)
        ).count()
        == 1
    )  # the dry run's event was rolled back with it


def test_a_wrong_attribute_type_is_a_form_error(admin_client, tree, phone_type):
    response = admin_client.post(
        f"{ADMIN}/product/add/",
        _product_post(
            category=tree.phones.pk,
            product_type=phone_type.pk,
            attributes=json.dumps({"screen_size_in": "huge"}),
        ),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "screen_size_in" in str(errors["attributes"])
    assert not Product.objects.filter(slug="admin-phone").exists()


def _change_post(
    product: Product, *, new_variants: list[dict], images: list[dict] | None = None
) -> dict:
    data: dict[str, object] = {
        "name": product.name,
        "slug": product.slug,
        "description": product.description,
        "brand": product.brand_id or "",
        "category": product.category_id,
        "attributes": json.dumps(product.attributes),
    }
    existing = list(product.variants.order_by("position", "sku"))
    rows = [
        {"id": v.pk, "sku": v.sku, "name": v.name, "attributes": json.dumps(v.attributes),
         "is_active": "on" if v.is_active else "", "position": v.position}
        for v in existing
    ] + new_variants  # fmt: skip
    data.update(
        {
            "variants-TOTAL_FORMS": len(rows),
            "variants-INITIAL_FORMS": len(existing),
            "variants-MIN_NUM_FORMS": 0,
            "variants-MAX_NUM_FORMS": 1000,
        }
    )
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"variants-{index}-{key}"] = value
        data[f"variants-{index}-product"] = product.pk
    image_rows = images or []
    data.update(
        {
            "images-TOTAL_FORMS": len(image_rows),
            "images-INITIAL_FORMS": 0,
            "images-MIN_NUM_FORMS": 0,
            "images-MAX_NUM_FORMS": 1000,
        }
    )
    for index, row in enumerate(image_rows):
        for key, value in row.items():
            data[f"images-{index}-{key}"] = value
        data[f"images-{index}-product"] = product.pk
    return data


def test_variant_inline_validates_through_the_service(admin_client, make_phone):
    product = make_phone(variants=[("ADM-1", 128, "Black")])
    bad = {"sku": "ADM-2", "attributes": json.dumps({"storage_gb": "lots", "colour": "Black"}),
           "is_active": "on", "position": 2}  # fmt: skip
    response = admin_client.post(
        f"{ADMIN}/product/{product.pk}/change/", _change_post(product, new_variants=[bad])
    )
    assert response.status_code == 200
    assert "storage_gb" in str(response.context["inline_admin_formsets"][0].formset.errors)
    assert not Variant.objects.filter(sku="ADM-2").exists()

    clash = [
        {"sku": "ADM-3", "attributes": json.dumps({"storage_gb": 256, "colour": "Blue"}), "is_active": "on", "position": 3},
        {"sku": "ADM-4", "attributes": json.dumps({"storage_gb": 256, "colour": "Blue"}), "is_active": "on", "position": 4},
    ]  # fmt: skip
    response = admin_client.post(
        f"{ADMIN}/product/{product.pk}/change/", _change_post(product, new_variants=clash)
    )
    assert response.status_code == 200
    assert "ADM-3" in str(response.context["inline_admin_formsets"][0].formset.errors)
    assert not Variant.objects.filter(sku__in=["ADM-3", "ADM-4"]).exists()

    good = {"sku": "ADM-5", "attributes": json.dumps({"storage_gb": 256, "colour": "Blue"}), "is_active": "on", "position": 5}  # fmt: skip
    response = admin_client.post(
        f"{ADMIN}/product/{product.pk}/change/", _change_post(product, new_variants=[good])
    )
    assert response.status_code == 302
    assert Variant.objects.get(sku="ADM-5").attributes == {"colour": "Blue", "storage_gb": 256}


def test_image_inline_accepts_images_and_refuses_the_rest(admin_client, make_phone):
    product = make_phone()
    fake = SimpleUploadedFile("evil.png", b"<?php system($_GET['c']); ?>", content_type="image/png")
    response = admin_client.post(
        f"{ADMIN}/product/{product.pk}/change/",
        _change_post(
            product, new_variants=[], images=[{"upload": fake, "alt_text": "x", "position": 1}]
        ),
    )
    assert response.status_code == 200
    assert "not a readable" in str(response.context["inline_admin_formsets"][1].formset.errors)
    assert not ProductImage.objects.exists()

    real = SimpleUploadedFile("p.jpg", image_bytes("JPEG", (300, 200)), content_type="image/jpeg")
    response = admin_client.post(
        f"{ADMIN}/product/{product.pk}/change/",
        _change_post(
            product, new_variants=[], images=[{"upload": real, "alt_text": "Front", "position": 1}]
        ),
    )
    assert response.status_code == 302
    image = ProductImage.objects.get()
    assert (image.alt_text, image.width, image.height) == ("Front", 300, 200)


def test_publish_and_unpublish_actions(admin_client, make_phone, tree, phone_type):
    ready = make_phone("Ready Phone", variants=[("RDY-1", 64, "Black")])
    incomplete = Product.objects.create(
        name="Incomplete", slug="incomplete", category=tree.phones, product_type=phone_type
    )
    response = admin_client.post(
        f"{ADMIN}/product/",
        {"action": "publish_selected", ACTION_CHECKBOX_NAME: [ready.pk, incomplete.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert "Published 1 product(s)." in messages
    assert any(m.startswith("Incomplete:") for m in messages)
    assert Product.objects.get(pk=ready.pk).status == Product.Status.PUBLISHED
    assert Product.objects.get(pk=incomplete.pk).status == Product.Status.DRAFT

    admin_client.post(
        f"{ADMIN}/product/", {"action": "unpublish_selected", ACTION_CHECKBOX_NAME: [ready.pk]}
    )
    assert Product.objects.get(pk=ready.pk).status == Product.Status.UNPUBLISHED


def test_merge_action_asks_for_the_survivor_then_merges(admin_client, make_phone):
    keep = make_phone("Keep Phone", variants=[("K-1", 128, "Black")], publish=True)
    dup = make_phone("Keep Phone Duplicate", variants=[("D-1", 128, "Black")], publish=True)
    selection = {"action": "merge_duplicates", ACTION_CHECKBOX_NAME: [keep.pk, dup.pk]}
    confirm = admin_client.post(f"{ADMIN}/product/", selection)
    assert confirm.status_code == 200
    assert b"Choose the product to keep" in confirm.content
    assert Product.objects.get(pk=dup.pk).merged_into_id is None

    admin_client.post(f"{ADMIN}/product/", {**selection, "post": "yes", "target": keep.pk})
    assert Product.objects.get(pk=dup.pk).merged_into_id == keep.pk
    assert OutboxMessage.objects.filter(event_type="catalog.products_merged").count() == 1


def test_products_cannot_be_deleted_in_the_admin(admin_client, make_phone):
    product = make_phone()
    assert admin_client.get(f"{ADMIN}/product/{product.pk}/delete/").status_code == 403


def test_category_move_under_its_descendant_is_a_form_error(admin_client, tree):
    response = admin_client.post(
        f"{ADMIN}/category/{tree.electronics.pk}/change/",
        {
            "name": "Electronics",
            "slug": "electronics",
            "parent": tree.smartphones.pk,
            "position": 0,
        },
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert Category.objects.get(pk=tree.electronics.pk).parent_id is None


def test_attribute_inline_creates_typed_attributes(admin_client, phone_type):
    existing = list(phone_type.attributes.order_by("position", "code"))
    data: dict[str, object] = {
        "name": phone_type.name,
        "slug": phone_type.slug,
        "attributes-TOTAL_FORMS": len(existing) + 1,
        "attributes-INITIAL_FORMS": len(existing),
        "attributes-MIN_NUM_FORMS": 0,
        "attributes-MAX_NUM_FORMS": 1000,
    }
    for index, a in enumerate(existing):
        data.update(
            {
                f"attributes-{index}-id": a.pk,
                f"attributes-{index}-product_type": phone_type.pk,
                f"attributes-{index}-name": a.name,
                f"attributes-{index}-allowed_values": "\n".join(a.allowed_values),
                f"attributes-{index}-unit": a.unit,
                f"attributes-{index}-is_required": "on" if a.is_required else "",
                f"attributes-{index}-position": a.position,
            }
        )
    new = len(existing)
    data.update(
        {
            f"attributes-{new}-product_type": phone_type.pk,
            f"attributes-{new}-code": "finish",
            f"attributes-{new}-name": "Finish",
            f"attributes-{new}-kind": "choice",
            f"attributes-{new}-scope": "variant",
            f"attributes-{new}-allowed_values": "Matte\nGlossy",
            f"attributes-{new}-position": 9,
        }
    )
    response = admin_client.post(f"{ADMIN}/producttype/{phone_type.pk}/change/", data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    finish = phone_type.attributes.get(code="finish")
    assert (finish.kind, finish.scope, finish.allowed_values) == (
        "choice",
        "variant",
        ["Matte", "Glossy"],
    )


def test_vendor_proposals_can_be_found_for_curation(admin_client, make_phone, tree, phone_type):
    make_phone("Staff Phone", variants=[("STF-1", 64, "Black")])
    services.product_propose(
        vendor_id=uuid.uuid4(),
        name="Vendor Phone",
        category_id=tree.phones.pk,
        product_type_id=phone_type.pk,
    )
    response = admin_client.get(f"{ADMIN}/product/?origin=vendor")
    assert [p.name for p in response.context["cl"].result_list] == ["Vendor Phone"]
