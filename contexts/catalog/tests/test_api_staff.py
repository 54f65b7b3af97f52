"""Staff write endpoints: admin role only; every refusal is a 4xx naming the field,
and a refused request writes nothing."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model

from bazaar_platform.events.models import OutboxMessage
from contexts.auth import facade as auth
from contexts.catalog.models import Product, Variant

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

STAFF = "/api/v1/catalog/staff/products/"


def _login(client, email: str, *, admin: bool) -> None:
    user_id = auth.user_create_or_get(
        email=email, full_name="Test", password="a-long-passphrase-42"
    )
    if admin:
        auth.role_grant(user_id=user_id, role="admin")
    client.force_login(get_user_model().objects.get(pk=user_id))


@pytest.fixture
def staff(client):
    _login(client, "staff@example.com", admin=True)
    return client


def _payload(tree, phone_type, acme, **overrides) -> dict:
    return {
        "name": "Staff Phone 1",
        "description": "<p>New <em>phone</em></p><iframe src=x></iframe>",
        "brand_id": str(acme.pk),
        "category_id": str(tree.smartphones.pk),
        "product_type_id": str(phone_type.pk),
        "attributes": {"os": "Android", "screen_size_in": 6.3},
        "variants": [
            {"sku": "SP1-128", "attributes": {"storage_gb": 128, "colour": "Black"}},
            {"sku": "SP1-256", "attributes": {"storage_gb": 256, "colour": "Blue"}},
        ],
        **overrides,
    }


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    return error


def test_anonymous_and_customers_are_refused(client, tree, phone_type, acme):
    anonymous = client.post(
        STAFF, _payload(tree, phone_type, acme), content_type="application/json"
    )
    _error(anonymous, 401, "not_authenticated")
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    _login(client, "customer@example.com", admin=False)
    _error(
        client.post(STAFF, _payload(tree, phone_type, acme), content_type="application/json"),
        403,
        "permission_denied",
    )
    assert not Product.objects.exists()


def test_create_publish_unpublish(staff, tree, phone_type, acme):
    created = staff.post(STAFF, _payload(tree, phone_type, acme), content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()["data"]
    assert data["status"] == "draft"
    assert data["slug"] == "staff-phone-1"
    assert data["description"] == "<p>New <em>phone</em></p>"
    assert [v["sku"] for v in data["variants"]] == ["SP1-128", "SP1-256"]

    published = staff.post(f"{STAFF}{data['id']}/publish/")
    assert published.status_code == 200
    assert published.json()["data"]["status"] == "published"
    public = staff.get("/api/v1/catalog/products/staff-phone-1/")
    assert public.status_code == 200
    _error(staff.post(f"{STAFF}{data['id']}/publish/"), 409, "invalid_transition")

    assert staff.post(f"{STAFF}{data['id']}/unpublish/").json()["data"]["status"] == "unpublished"
    assert staff.get("/api/v1/catalog/products/staff-phone-1/").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "status", "code", "field"),
    [
        ({"attributes": {"screen_size_in": "big"}}, 400, "invalid_attributes", "attributes"),
        ({"variants": [{"sku": "X", "attributes": {"storage_gb": "lots"}}]}, 400, "invalid_attributes", "variants.0.attributes"),
        ({"variants": {"sku": "X"}}, 400, "validation_error", "variants"),
        ({"category_id": "nope"}, 400, "validation_error", "category_id"),
        ({"category_id": str(uuid.UUID(int=7))}, 400, "unknown_category", "category_id"),
        ({"name": ""}, 400, "validation_error", "name"),
        ({"slug": "Not A Slug"}, 400, "validation_error", "slug"),
    ],
)  # fmt: skip
def test_bad_create_input_writes_nothing(
    staff, tree, phone_type, acme, overrides, status, code, field
):
    response = staff.post(
        STAFF, _payload(tree, phone_type, acme, **overrides), content_type="application/json"
    )
    error = _error(response, status, code)
    assert field in error["fields"]
    assert not Product.objects.exists()
    assert not Variant.objects.exists()
    assert not OutboxMessage.objects.filter(producer="catalog").exists()


def test_duplicate_slug_and_sku_are_409(staff, tree, phone_type, acme):
    assert (
        staff.post(
            STAFF, _payload(tree, phone_type, acme), content_type="application/json"
        ).status_code
        == 201
    )
    _error(
        staff.post(
            STAFF,
            _payload(tree, phone_type, acme, slug="staff-phone-1", variants=[]),
            content_type="application/json",
        ),
        409,
        "slug_taken",
    )
    _error(
        staff.post(
            STAFF, _payload(tree, phone_type, acme, name="Other"), content_type="application/json"
        ),
        409,
        "sku_taken",
    )
    assert Product.objects.count() == 1


def test_update_and_add_variant(staff, make_phone):
    product = make_phone("Old Name", variants=[("UPD-1", 64, "Black")])
    response = staff.patch(
        f"{STAFF}{product.pk}/", {"name": "New Name"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["data"]["name"] == "New Name"
    assert response.json()["data"]["slug"] == "old-name"  # the SEO slug is kept

    added = staff.post(
        f"{STAFF}{product.pk}/variants/",
        {"sku": "UPD-2", "attributes": {"storage_gb": 128, "colour": "White"}},
        content_type="application/json",
    )
    assert added.status_code == 201
    _error(
        staff.post(
            f"{STAFF}{product.pk}/variants/", {"sku": "upd-2"}, content_type="application/json"
        ),
        409,
        "sku_taken",
    )
    _error(
        staff.patch(f"{STAFF}{uuid.uuid4()}/", {"name": "x"}, content_type="application/json"),
        404,
        "not_found",
    )


def test_merge(staff, make_phone):
    target = make_phone("Target", variants=[("TG-1", 64, "Black")], publish=True)
    dup = make_phone("Dup", variants=[("DP-1", 64, "Black")], publish=True)
    response = staff.post(
        f"{STAFF}merge/",
        {"target_product_id": str(target.pk), "duplicate_product_ids": [str(dup.pk)]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    dup_variant_id = next(iter(response.json()["data"]["variant_id_map"]))
    assert response.json()["data"]["variant_id_map"] == {
        dup_variant_id: str(Variant.objects.get(sku="TG-1").pk)
    }  # same attribute values: folded into the target's variant
    assert not Variant.objects.filter(pk=dup_variant_id).exists()
    assert Product.objects.get(pk=dup.pk).merged_into_id == target.pk
    _error(
        staff.post(
            f"{STAFF}merge/",
            {"target_product_id": str(target.pk), "duplicate_product_ids": [str(target.pk)]},
            content_type="application/json",
        ),
        400,
        "validation_error",
    )
