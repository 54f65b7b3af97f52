"""Fixtures for the catalogue's tests: a typed "Phone" product type, a small category
tree, image files made with Pillow, and a throwaway media root."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from contexts.catalog import services
from contexts.catalog.models import Attribute, Brand, Category, Product, ProductType, Variant
from contexts.catalog.tests.factories import BrandFactory, CategoryFactory


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@dataclass
class Tree:
    electronics: Category
    phones: Category
    smartphones: Category
    laptops: Category
    home: Category


@pytest.fixture
def tree(db) -> Tree:
    electronics = CategoryFactory.create(name="Electronics")
    phones = CategoryFactory.create(name="Phones", parent=electronics)
    return Tree(
        electronics=electronics,
        phones=phones,
        smartphones=CategoryFactory.create(name="Smartphones", parent=phones),
        laptops=CategoryFactory.create(name="Laptops", parent=electronics),
        home=CategoryFactory.create(name="Home"),
    )


@pytest.fixture
def phone_type(db) -> ProductType:
    """Product attributes: screen_size_in (number), os (choice), wireless_charging (bool),
    model_code (text). Variant attributes: storage_gb (number, required), colour
    (choice, required)."""
    product_type = services.product_type_create(name="Phone")
    for position, (code, kind, scope, allowed, required) in enumerate(
        [
            ("screen_size_in", "number", "product", (), False),
            ("os", "choice", "product", ("iOS", "Android"), True),
            ("wireless_charging", "boolean", "product", (), False),
            ("model_code", "text", "product", (), False),
            ("storage_gb", "number", "variant", (), True),
            ("colour", "choice", "variant", ("Black", "White", "Blue"), True),
        ]
    ):
        services.attribute_create(
            product_type_id=product_type.pk,
            code=code,
            name=code.replace("_", " ").title(),
            kind=kind,
            scope=scope,
            allowed_values=allowed,
            is_required=required,
            position=position,
        )
    return product_type


@pytest.fixture
def acme(db) -> Brand:
    return BrandFactory.create(name="Acme")


@pytest.fixture
def make_phone(tree: Tree, phone_type: ProductType, acme: Brand) -> Callable[..., Product]:
    """A phone through the services: draft by default, ``publish=True`` to publish it."""

    def make(
        name: str = "Acme Phone X",
        *,
        variants: list[tuple[str, int, str]] | None = None,
        publish: bool = False,
        category: Category | None = None,
        **attributes: object,
    ) -> Product:
        product = services.product_create(
            name=name,
            category_id=(category or tree.smartphones).pk,
            product_type_id=phone_type.pk,
            brand_id=acme.pk,
            description="<p>A <b>fine</b> phone.</p>",
            attributes={"os": "Android", "screen_size_in": 6.1, **attributes},
            variants=[
                services.VariantInput(sku=sku, attributes={"storage_gb": gb, "colour": colour})
                for sku, gb, colour in (
                    variants or [(f"{name[:20]}-128".replace(" ", "-"), 128, "Black")]
                )
            ],
        )
        if publish:
            product = services.product_publish(product_id=product.pk)
        return product

    return make


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), **save: object) -> bytes:
    out = io.BytesIO()
    mode = "RGB" if fmt in {"JPEG"} else "RGBA"
    Image.new(mode, size, (200, 30, 30, 255)[: len(mode)]).save(out, fmt, **save)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.png") -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


__all__ = ["Attribute", "Tree", "Variant", "image_bytes", "upload"]
