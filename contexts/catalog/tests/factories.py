"""factory_boy factories, private to the catalogue's tests.

Categories are created through the service (their materialised path is an invariant);
products and variants are plain rows, fast enough to make hundreds of them.
"""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from contexts.catalog import services
from contexts.catalog.models import Attribute, Brand, Category, Product, ProductType, Variant


class CategoryFactory(DjangoModelFactory[Category]):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    parent = None
    position = 0

    @classmethod
    def _create(cls, model_class: type[Category], *args: Any, **kwargs: Any) -> Category:
        parent = kwargs.pop("parent", None)
        return services.category_create(parent_id=parent.pk if parent else None, **kwargs)


class BrandFactory(DjangoModelFactory[Brand]):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class ProductTypeFactory(DjangoModelFactory[ProductType]):
    class Meta:
        model = ProductType

    name = factory.Sequence(lambda n: f"Type {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class AttributeFactory(DjangoModelFactory[Attribute]):
    class Meta:
        model = Attribute

    product_type = factory.SubFactory(ProductTypeFactory)
    code = factory.Sequence(lambda n: f"attr{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    kind = Attribute.Kind.TEXT
    scope = Attribute.Scope.PRODUCT
    allowed_values: list[str] = []


class ProductFactory(DjangoModelFactory[Product]):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n:04d}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    category = factory.SubFactory(CategoryFactory)
    product_type = factory.SubFactory(ProductTypeFactory)
    brand = factory.SubFactory(BrandFactory)
    description = "<p>A product.</p>"
    status = Product.Status.DRAFT
    attributes: dict[str, Any] = {}

    class Params:
        published = factory.Trait(
            status=Product.Status.PUBLISHED, published_at=factory.LazyFunction(timezone.now)
        )


class VariantFactory(DjangoModelFactory[Variant]):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    name = ""
    attributes: dict[str, Any] = {}
