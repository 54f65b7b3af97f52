"""Integration tests of the services on the real database: rules, state machine,
events in the outbox (same transaction) and their after-commit delivery."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from bazaar_platform.events import register_handlers
from bazaar_platform.events.models import OutboxMessage
from bazaar_platform.events.registry import unregister_handler
from contexts.catalog import selectors, services
from contexts.catalog.events import ProductPublished, ProductUpdated
from contexts.catalog.models import (
    CATEGORY_MAX_DEPTH,
    Category,
    Product,
    ProductImage,
    Variant,
)
from contexts.catalog.tests.conftest import image_bytes, upload
from contexts.catalog.tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _events(event_type: str) -> list[dict]:
    return [
        row.message for row in OutboxMessage.objects.filter(event_type=event_type).order_by("id")
    ]


# --- categories ---------------------------------------------------------------------------


def test_subtree_is_one_prefix_query_and_includes_every_level(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        slugs = set(
            selectors.category_subtree(category=tree.electronics).values_list("slug", flat=True)
        )
    assert slugs == {"electronics", "phones", "smartphones", "laptops"}


def test_the_tree_is_built_in_one_query(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        roots = selectors.category_tree()
    electronics = next(r for r in roots if r.slug == "electronics")
    assert [c.slug for c in electronics.children] == ["laptops", "phones"]
    phones = next(c for c in electronics.children if c.slug == "phones")
    assert [c.slug for c in phones.children] == ["smartphones"]


def test_moving_a_category_moves_its_subtree(tree, make_phone):
    phone = make_phone()
    OutboxMessage.objects.all().delete()
    services.category_update(category_id=tree.phones.pk, parent_id=tree.home.pk)
    smartphones = Category.objects.get(pk=tree.smartphones.pk)
    assert smartphones.depth == 2
    assert smartphones.path.startswith(Category.objects.get(pk=tree.home.pk).path)
    assert set(
        selectors.category_subtree(category=tree.electronics).values_list("slug", flat=True)
    ) == {
        "electronics",
        "laptops",
    }
    # the phone's category path changed: it is re-announced
    [message] = _events("catalog.product_updated")
    assert message["payload"]["product_id"] == str(phone.pk)
    assert message["payload"]["category_path"] == ["Home", "Phones", "Smartphones"]


def test_a_category_cannot_move_under_its_own_descendant(tree):
    with pytest.raises(ConflictError) as exc:
        services.category_update(category_id=tree.electronics.pk, parent_id=tree.smartphones.pk)
    assert exc.value.code == "category_cycle"
    assert Category.objects.get(pk=tree.electronics.pk).parent_id is None


def test_categories_nest_at_most_the_maximum_depth(db):
    parent = None
    for level in range(CATEGORY_MAX_DEPTH):
        parent = CategoryFactory(name=f"Level {level}", parent=parent)
    with pytest.raises(ApplicationError) as exc:
        CategoryFactory(name="Too deep", parent=parent)
    assert exc.value.code == "category_too_deep"
    assert not Category.objects.filter(slug="too-deep").exists()


def test_explicit_duplicate_slug_is_a_conflict_and_derived_slugs_get_a_suffix(tree):
    with pytest.raises(ConflictError) as exc:
        services.category_create(name="Something", slug="phones")
    assert exc.value.code == "slug_taken"
    assert services.category_create(name="Phones").slug == "phones-2"


# --- products -----------------------------------------------------------------------------


def test_create_sanitises_the_description_and_types_the_attributes(make_phone):
    product = make_phone(screen_size_in=6.0, wireless_charging=True, model_code=" X-1 ")
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT
    assert product.description == "<p>A <b>fine</b> phone.</p>"
    assert product.attributes == {
        "model_code": "X-1",
        "os": "Android",
        "screen_size_in": 6,
        "wireless_charging": True,
    }


@pytest.mark.parametrize(
    ("attributes", "bad_code"),
    [
        ({"screen_size_in": "big"}, "screen_size_in"),
        ({"os": "Windows Phone"}, "os"),
        ({"wireless_charging": "yes"}, "wireless_charging"),
        ({"teleporter": True}, "teleporter"),
        ({"storage_gb": 128}, "storage_gb"),  # a variant attribute set on the product
        ({"model_code": "X\x001"}, "model_code"),  # PostgreSQL cannot store NUL
    ],
)
def test_wrong_attribute_values_are_refused_and_nothing_is_written(
    tree, phone_type, acme, attributes, bad_code
):
    with pytest.raises(ApplicationError) as exc:
        services.product_create(
            name="Broken",
            category_id=tree.phones.pk,
            product_type_id=phone_type.pk,
            brand_id=acme.pk,
            attributes=attributes,
        )
    assert exc.value.code == "invalid_attributes"
    assert bad_code in exc.value.fields["attributes"]
    assert not Product.objects.filter(name="Broken").exists()
    assert not OutboxMessage.objects.exists()


def test_a_bad_variant_rolls_back_the_whole_product(tree, phone_type, acme):
    with pytest.raises(ApplicationError) as exc:
        services.product_create(
            name="Half",
            category_id=tree.phones.pk,
            product_type_id=phone_type.pk,
            attributes={"os": "iOS"},
            variants=[
                services.VariantInput(
                    sku="HALF-1", attributes={"storage_gb": 64, "colour": "Black"}
                ),
                services.VariantInput(
                    sku="HALF-2", attributes={"storage_gb": "lots", "colour": "Black"}
                ),
            ],
        )
    assert "variants.1.attributes" in exc.value.fields
    assert not Product.objects.filter(name="Half").exists()
    assert not Variant.objects.filter(sku__startswith="HALF").exists()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("category_id", uuid.UUID(int=1), "unknown_category"),
        ("brand_id", uuid.UUID(int=2), "unknown_brand"),
        ("product_type_id", uuid.UUID(int=3), "unknown_product_type"),
        ("category_id", "not-a-uuid", "validation_error"),
    ],
)
def test_unknown_references_are_a_400_naming_the_field(tree, phone_type, acme, field, value, code):
    kwargs = {
        "name": "Ghost",
        "category_id": tree.phones.pk,
        "product_type_id": phone_type.pk,
        "brand_id": acme.pk,
        field: value,
    }
    with pytest.raises(ApplicationError) as exc:
        services.product_create(**kwargs)
    assert exc.value.code == code
    assert exc.value.status_code == 400
    assert field in exc.value.fields


def test_a_name_with_a_nul_character_is_refused(tree, phone_type):
    with pytest.raises(ApplicationError) as exc:
        services.product_create(
            name="Bad\x00Name", category_id=tree.phones.pk, product_type_id=phone_type.pk
        )
    assert "name" in exc.value.fields


def test_duplicate_slug_and_sku_are_conflicts(make_phone, tree, phone_type):
    make_phone("Acme Phone X", variants=[("ACME-X-1", 128, "Black")])
    with pytest.raises(ConflictError) as exc:
        services.product_create(
            name="Other",
            slug="acme-phone-x",
            category_id=tree.phones.pk,
            product_type_id=phone_type.pk,
        )
    assert exc.value.code == "slug_taken"
    with pytest.raises(ConflictError) as exc:
        make_phone("Acme Phone Y", variants=[("acme-x-1", 64, "White")])  # SKUs ignore case
    assert exc.value.code == "sku_taken"
    assert not Product.objects.filter(name="Acme Phone Y").exists()


def test_two_variants_with_the_same_values_are_refused(make_phone):
    product = make_phone(variants=[("A-1", 128, "Black")])
    with pytest.raises(ConflictError) as exc:
        services.variant_create(
            product_id=product.pk, sku="A-2", attributes={"storage_gb": 128, "colour": "Black"}
        )
    assert exc.value.code == "duplicate_variant"


def test_publication_state_machine(make_phone):
    product = make_phone()
    with pytest.raises(ConflictError) as exc:
        services.product_unpublish(product_id=product.pk)
    assert exc.value.code == "invalid_transition"

    published = services.product_publish(product_id=product.pk)
    assert published.status == Product.Status.PUBLISHED
    first_published_at = published.published_at
    with pytest.raises(ConflictError):
        services.product_publish(product_id=product.pk)

    assert services.product_unpublish(product_id=product.pk).status == Product.Status.UNPUBLISHED
    republished = services.product_publish(product_id=product.pk)
    assert republished.published_at == first_published_at  # "newest" keeps its place


def test_publishing_needs_required_attributes_and_an_active_variant(tree, phone_type, acme):
    product = services.product_create(
        name="Incomplete", category_id=tree.phones.pk, product_type_id=phone_type.pk
    )
    with pytest.raises(ApplicationError) as exc:
        services.product_publish(product_id=product.pk)
    assert exc.value.fields["attributes"] == {"os": ["This attribute is required."]}

    services.product_update(product_id=product.pk, attributes={"os": "iOS"})
    with pytest.raises(ConflictError) as exc:
        services.product_publish(product_id=product.pk)
    assert exc.value.code == "no_active_variant"

    services.variant_create(product_id=product.pk, sku="INC-1", attributes={"storage_gb": 64})
    with pytest.raises(ApplicationError) as exc:  # the variant lacks its required colour
        services.product_publish(product_id=product.pk)
    assert "colour" in exc.value.fields["variants.INC-1.attributes"]
    assert Product.objects.get(pk=product.pk).status == Product.Status.DRAFT


def test_the_last_active_variant_of_a_published_product_stays_active(make_phone):
    product = make_phone(publish=True)
    variant = product.variants.get()
    with pytest.raises(ConflictError) as exc:
        services.variant_update(variant_id=variant.pk, is_active=False)
    assert exc.value.code == "last_active_variant"


def test_a_merged_duplicate_can_no_longer_be_edited(make_phone):
    target = make_phone("Phone A", variants=[("A-1", 128, "Black")])
    duplicate = make_phone("Phone B", variants=[("B-1", 128, "Black")])
    services.products_merge(target_product_id=target.pk, duplicate_product_ids=[duplicate.pk])
    with pytest.raises(ConflictError) as exc:
        services.product_update(product_id=duplicate.pk, name="Phone B2")
    assert exc.value.code == "product_merged"
    with pytest.raises(ConflictError) as exc:
        services.variant_create(
            product_id=duplicate.pk, sku="B-2", attributes={"storage_gb": 64, "colour": "Blue"}
        )
    assert exc.value.code == "product_merged"
    with pytest.raises(ConflictError):  # nor merged twice
        services.products_merge(target_product_id=target.pk, duplicate_product_ids=[duplicate.pk])


def test_propose_lands_as_a_draft_remembering_the_vendor(tree, phone_type, acme):
    vendor_id = uuid.uuid4()
    product = services.product_propose(
        vendor_id=vendor_id,
        name="Vendor Phone",
        category_id=tree.phones.pk,
        product_type_id=phone_type.pk,
        brand_id=acme.pk,
        attributes={"os": "Android"},
        variants=[
            services.VariantInput(sku="VP-1", attributes={"storage_gb": 64, "colour": "Blue"})
        ],
    )
    assert product.status == Product.Status.DRAFT
    assert product.proposed_by_vendor_id == vendor_id
    [message] = _events("catalog.product_updated")
    assert message["payload"]["proposed_by_vendor_id"] == str(vendor_id)
    assert message["payload"]["status"] == "draft"


# --- events -------------------------------------------------------------------------------


def test_publish_writes_a_search_ready_event_in_the_same_transaction(make_phone, tree):
    product = make_phone(
        "Acme Phone X",
        variants=[("X-128-B", 128, "Black"), ("X-256-W", 256, "White")],
        wireless_charging=True,
    )
    OutboxMessage.objects.all().delete()
    services.product_publish(product_id=product.pk)
    [message] = _events("catalog.product_published")
    payload = message["payload"]
    assert message["aggregate_id"] == str(product.pk)
    assert payload["name"] == "Acme Phone X"
    assert payload["slug"] == "acme-phone-x"
    assert payload["brand_name"] == "Acme"
    assert payload["category_path"] == ["Electronics", "Phones", "Smartphones"]
    assert payload["category_path_slugs"] == ["electronics", "phones", "smartphones"]
    assert payload["description_text"] == "A fine phone."
    assert payload["attribute_values"] == {
        "colour": ["Black", "White"],
        "os": ["Android"],
        "screen_size_in": [6.1],
        "storage_gb": [128, 256],
        "wireless_charging": [True],
    }
    assert sorted(payload["skus"]) == ["X-128-B", "X-256-W"]
    assert payload["status"] == "published"


def test_a_rolled_back_change_leaves_no_event(make_phone):
    product = make_phone()
    OutboxMessage.objects.all().delete()

    def publish_then_fail() -> None:
        with transaction.atomic():
            services.product_publish(product_id=product.pk)
            raise RuntimeError("the caller's transaction fails later")

    with pytest.raises(RuntimeError):
        publish_then_fail()
    assert not OutboxMessage.objects.exists()
    assert Product.objects.get(pk=product.pk).status == Product.Status.DRAFT


def test_events_reach_handlers_after_commit(make_phone, django_capture_on_commit_callbacks):
    received: list[ProductPublished | ProductUpdated] = []

    def catalog_test_handler(event: ProductPublished) -> None:
        received.append(event)

    register_handlers("catalogtest", {ProductPublished: [catalog_test_handler]})
    try:
        product = make_phone()
        with django_capture_on_commit_callbacks(execute=True):
            services.product_publish(product_id=product.pk)
            assert received == []  # nothing before commit
        assert [e.product_id for e in received] == [product.pk]
        assert received[0].attribute_values["storage_gb"] == [128]
    finally:
        unregister_handler("catalogtest.catalog_test_handler")


# --- merging duplicates ---------------------------------------------------------------------


def test_merge_moves_or_collapses_variants_and_announces_the_id_map(make_phone, tree):
    target = make_phone("Acme Phone X", variants=[("T-128-B", 128, "Black")], publish=True)
    duplicate = make_phone(
        "ACME Phone-X (dup)",
        variants=[("D-128-B", 128, "Black"), ("D-256-B", 256, "Black")],
        publish=True,
        model_code="AX1",
    )
    services.product_image_add(product_id=duplicate.pk, file=upload(image_bytes()))
    same = Variant.objects.get(sku="D-128-B")
    moved = Variant.objects.get(sku="D-256-B")
    kept = Variant.objects.get(sku="T-128-B")
    OutboxMessage.objects.all().delete()

    result = services.products_merge(
        target_product_id=target.pk, duplicate_product_ids=[duplicate.pk]
    )

    assert result.variant_id_map == {same.pk: kept.pk, moved.pk: moved.pk}
    assert not Variant.objects.filter(pk=same.pk).exists()
    assert Variant.objects.get(pk=moved.pk).product_id == target.pk
    assert ProductImage.objects.get().product_id == target.pk
    duplicate.refresh_from_db()
    assert duplicate.status == Product.Status.UNPUBLISHED
    assert duplicate.merged_into_id == target.pk
    assert Product.objects.get(pk=target.pk).attributes["model_code"] == "AX1"

    [merged] = _events("catalog.products_merged")
    assert merged["payload"]["variant_id_map"] == {
        str(same.pk): str(kept.pk),
        str(moved.pk): str(moved.pk),
    }
    assert merged["payload"]["product_id_map"] == {str(duplicate.pk): str(target.pk)}
    [unpublished] = _events("catalog.product_unpublished")
    assert unpublished["payload"]["merged_into_product_id"] == str(target.pk)
    [updated] = _events("catalog.product_updated")
    assert sorted(updated["payload"]["skus"]) == ["D-256-B", "T-128-B"]

    with pytest.raises(ConflictError):  # a merged duplicate cannot come back
        services.product_publish(product_id=duplicate.pk)


def test_merge_refuses_products_of_different_types_and_writes_nothing(make_phone):
    phone = make_phone()
    other = ProductFactory()
    VariantFactory(product=other)
    with pytest.raises(ConflictError) as exc:
        services.products_merge(target_product_id=phone.pk, duplicate_product_ids=[other.pk])
    assert exc.value.code == "product_type_mismatch"
    assert Product.objects.get(pk=other.pk).merged_into_id is None
    assert not OutboxMessage.objects.filter(event_type="catalog.products_merged").exists()


@pytest.mark.parametrize("case", ["self", "empty", "unknown"])
def test_merge_rejects_bad_selections(make_phone, case):
    phone = make_phone()
    duplicates = {"self": [phone.pk], "empty": [], "unknown": [uuid.uuid4()]}[case]
    with pytest.raises(ApplicationError) as exc:
        services.products_merge(target_product_id=phone.pk, duplicate_product_ids=duplicates)
    assert exc.value.status_code == (404 if case == "unknown" else 400)
    assert isinstance(exc.value, NotFoundError) == (case == "unknown")


# --- images -------------------------------------------------------------------------------


def test_an_image_is_stored_with_its_thumbnail(make_phone, media_root: Path):
    product = make_phone()
    image = services.product_image_add(
        product_id=product.pk, file=upload(image_bytes("JPEG", (800, 600))), alt_text="Front"
    )
    assert (image.width, image.height, image.format) == (800, 600, "jpeg")
    assert image.image.name and image.thumbnail.name
    assert default_storage.exists(image.image.name)
    assert default_storage.exists(image.thumbnail.name)
    assert (media_root / image.image.name).is_file()


def test_a_failed_image_save_leaves_no_file_and_no_row(make_phone, media_root: Path):
    product = make_phone()
    with pytest.raises(ApplicationError):
        services.product_image_add(
            product_id=product.pk, file=upload(image_bytes()), variant_id=uuid.uuid4()
        )
    assert not ProductImage.objects.exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_deleting_an_image_removes_its_files_after_commit(
    make_phone, django_capture_on_commit_callbacks
):
    product = make_phone()
    image = services.product_image_add(product_id=product.pk, file=upload(image_bytes()))
    names = [image.image.name, image.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        services.product_image_delete(image_id=image.pk)
        assert all(default_storage.exists(n) for n in names)  # still there until commit
    assert not any(default_storage.exists(n) for n in names)


# --- attributes ---------------------------------------------------------------------------


def test_attribute_code_names_that_look_like_lookups_work(db, tree):
    product_type = services.product_type_create(name="Odd")
    services.attribute_create(
        product_type_id=product_type.pk, code="contains", name="Contains", kind="text"
    )
    product = ProductFactory(
        product_type=product_type, attributes={"contains": "nuts"}, published=True
    )
    found = selectors.product_list(
        filters=selectors.ProductListFilters(attributes={"contains": ["nuts"]})
    )
    assert list(found) == [product]


def test_removing_a_choice_value_in_use_is_refused(make_phone, phone_type):
    make_phone(variants=[("C-1", 64, "Blue")])
    colour = phone_type.attributes.get(code="colour")
    with pytest.raises(ConflictError) as exc:
        services.attribute_update(attribute_id=colour.pk, allowed_values=["Black", "White"])
    assert exc.value.code == "value_in_use"
    updated = services.attribute_update(
        attribute_id=colour.pk, allowed_values=["Black", "White", "Blue", "Red"]
    )
    assert updated.allowed_values == ["Black", "White", "Blue", "Red"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"code": "Bad Code", "kind": "text"}, "code"),
        ({"code": "a__b", "kind": "text"}, "code"),
        ({"code": "colour", "kind": "choice"}, "allowed_values"),
        ({"code": "size", "kind": "text", "allowed_values": ["S"]}, "allowed_values"),
        ({"code": "weight", "kind": "weight"}, "kind"),
    ],
)
def test_attribute_definitions_are_validated(phone_type, kwargs, field):
    with pytest.raises(ApplicationError) as exc:
        services.attribute_create(product_type_id=phone_type.pk, name="X", **kwargs)
    assert field in exc.value.fields


def test_duplicate_attribute_code_is_a_conflict(phone_type):
    with pytest.raises(ConflictError) as exc:
        services.attribute_create(product_type_id=phone_type.pk, code="os", name="OS", kind="text")
    assert exc.value.code == "code_taken"
