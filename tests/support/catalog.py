"""Catalogue products for other contexts' tests, made through the catalog's real services
(no catalog test fixtures: those belong to the catalog context's own tests)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from contexts.catalog import services

_seq = itertools.count(1)


@dataclass(frozen=True)
class CatalogProduct:
    product_id: uuid.UUID
    variant_ids: tuple[uuid.UUID, ...]
    name: str


def make_product(
    *, name: str | None = None, variants: int = 1, publish: bool = True
) -> CatalogProduct:
    """A product with ``variants`` variants in a fresh category and type, published unless
    ``publish=False``."""
    tag = f"{next(_seq)}-{uuid.uuid4().hex[:6]}"
    category = services.category_create(name=f"Cat {tag}", slug=f"cat-{tag}")
    product_type = services.product_type_create(name=f"Type {tag}")
    services.attribute_create(
        product_type_id=product_type.pk,
        code="size",
        name="Size",
        kind="text",
        scope="variant",
        is_required=True,
    )
    product = services.product_create(
        name=name or f"Gadget {tag}",
        category_id=category.pk,
        product_type_id=product_type.pk,
        description="<p>A test product.</p>",
        variants=[
            services.VariantInput(
                sku=f"SKU-{tag}-{i}", name=f"Size {i}", attributes={"size": str(i)}
            )
            for i in range(variants)
        ],
    )
    if publish:
        product = services.product_publish(product_id=product.pk)
    return CatalogProduct(
        product_id=product.pk,
        variant_ids=tuple(product.variants.order_by("position").values_list("id", flat=True)),
        name=product.name,
    )


def make_duplicate(of: CatalogProduct, *, sizes: tuple[int, ...]) -> CatalogProduct:
    """A published product of the same type as ``of`` (so staff may merge it into ``of``),
    one variant per size: a size ``of`` has (0 to its variant count - 1) duplicates that
    variant, another size is a new one."""
    original = services.selectors.product_get(product_id=of.product_id)
    tag = f"{next(_seq)}-{uuid.uuid4().hex[:6]}"
    product = services.product_create(
        name=f"Duplicate {tag}",
        category_id=original.category_id,
        product_type_id=original.product_type_id,
        description="<p>The same product, listed twice.</p>",
        variants=[
            services.VariantInput(
                sku=f"DUP-{tag}-{i}", name=f"Size {i}", attributes={"size": str(i)}
            )
            for i in sizes
        ],
    )
    product = services.product_publish(product_id=product.pk)
    return CatalogProduct(
        product_id=product.pk,
        variant_ids=tuple(product.variants.order_by("position").values_list("id", flat=True)),
        name=product.name,
    )


def merge(target: CatalogProduct, *duplicates: CatalogProduct) -> dict[uuid.UUID, uuid.UUID]:
    """Staff merge ``duplicates`` into ``target``; returns the old-to-new variant id map."""
    result = services.products_merge(
        target_product_id=target.product_id,
        duplicate_product_ids=[d.product_id for d in duplicates],
    )
    return dict(result.variant_id_map)


def unpublish(product_id: uuid.UUID) -> None:
    services.product_unpublish(product_id=product_id)
