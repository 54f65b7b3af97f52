"""Browsing API (anonymous): category tree, brands, product list and product detail.

One view per operation; each parses its input, calls a selector and renders. Every
response carries ``ETag`` and ``Last-Modified`` and answers conditional GETs with 304.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.errors import NotFoundError
from bazaar_platform.api.views import BazaarAPIView, BazaarListAPIView
from bazaar_platform.tokens.permissions import IsAdmin
from contexts.catalog import selectors, services
from contexts.catalog.api.serializers import (
    BrandOutput,
    CategoryNodeOutput,
    MergeOutput,
    ProductCreateInput,
    ProductDetailOutput,
    ProductListItemOutput,
    ProductListQuery,
    ProductsMergeInput,
    ProductUpdateInput,
    StaffProductOutput,
    VariantInput,
)
from contexts.catalog.cache import browse_cache
from contexts.catalog.models import Brand, Product

# attr_<code>, with code as attribute_code_validator allows it
ATTRIBUTE_PARAM = re.compile(r"^attr_([a-z][a-z0-9]*(?:_[a-z0-9]+)*)$")


NOT_MODIFIED = OpenApiResponse(
    description="Not modified: the If-None-Match / If-Modified-Since validators still hold."
)


class CategoryTreeApi(BazaarAPIView):
    """The category tree."""

    @extend_schema(
        operation_id="catalog_category_tree",
        summary="The category tree",
        description="Every category, nested: roots first, siblings in display order.",
        responses={200: CategoryNodeOutput(many=True), 304: NOT_MODIFIED},
    )
    def get(self, request: Request) -> HttpResponseBase:
        def build() -> tuple[Response, datetime | None]:
            last_modified = selectors.categories_last_modified()
            return Response(CategoryNodeOutput(selectors.category_tree(), many=True).data), (
                last_modified
            )

        return browse_cache.respond(request, build)


class BrandListApi(BazaarListAPIView):
    """Brands, by name."""

    serializer_class = BrandOutput

    def get_queryset(self) -> QuerySet[Brand]:
        return selectors.brand_list()

    @extend_schema(
        operation_id="catalog_brand_list",
        summary="Brands, by name",
        description="Every brand, alphabetically, paginated.",
        responses={200: BrandOutput(many=True), 304: NOT_MODIFIED},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        return browse_cache.respond(
            request, lambda: (self.list(request), selectors.brands_last_modified())
        )


class ProductListApi(BazaarListAPIView):
    """Published products, filtered, sorted and paginated."""

    serializer_class = ProductListItemOutput
    extra_query_params = frozenset(ProductListQuery().fields)

    def allowed_query_params(self) -> set[str]:
        # attribute filters are open-ended: attr_<code> for any attribute code
        allowed = super().allowed_query_params()
        return allowed | {name for name in self.request.query_params if ATTRIBUTE_PARAM.match(name)}

    def get_queryset(self) -> QuerySet[Product]:
        query = ProductListQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        attributes = {
            match.group(1): self.request.query_params.getlist(name)
            for name in self.request.query_params
            if (match := ATTRIBUTE_PARAM.match(name))
        }
        return selectors.product_list(
            filters=selectors.ProductListFilters(
                category=params.get("category"),
                brands=params.get("brand") or (),
                q=params.get("q") or None,
                attributes=attributes,
                sort=params["sort"],
                min_price=params.get("min_price"),
                max_price=params.get("max_price"),
                currency=params.get("currency"),
                store=params.get("store"),
                in_stock=params.get("in_stock", False),
            )
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # the list always paginates
        rows = selectors.product_list_page(products=page)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    @extend_schema(
        operation_id="catalog_product_list",
        summary="Published products",
        description=(
            "Filter by `category` (slug; includes its descendants), `brand` (slug, "
            "repeatable), `q` (words in the name) and attribute values with "
            "`attr_<code>=<value>` (e.g. `attr_colour=red`, `attr_storage_gb=128`, "
            "`attr_wireless=true`; repeat for any-of, combine codes for all-of), offers with "
            "`min_price`/`max_price` (minor units of `currency`), `store` (id) and "
            "`in_stock=true`; sort by `price`/`-price`. Unknown parameters, categories, "
            "brands, attributes, stores, ill-typed values and inverted price ranges are a 400."
        ),
        parameters=[ProductListQuery],
        responses={200: ProductListItemOutput(many=True), 304: NOT_MODIFIED},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        return browse_cache.respond(
            request, lambda: (self.list(request), selectors.catalog_last_modified())
        )


class ProductDetailApi(BazaarAPIView):
    """One published product by its slug."""

    @extend_schema(
        operation_id="catalog_product_detail",
        summary="A published product with its variants and attributes",
        description=(
            "A published product by slug: its attributes with their values, the definitions "
            "of the attributes its variants differ by, its active variants and its images. "
            "A merged duplicate answers 301 to the product it was merged into."
        ),
        responses={
            200: ProductDetailOutput,
            304: NOT_MODIFIED,
            301: OpenApiResponse(
                description="The product was merged into another; Location names it."
            ),
        },
    )
    def get(self, request: Request, slug: str) -> HttpResponseBase:
        return browse_cache.respond(request, lambda: self._build(slug))

    def _build(self, slug: str) -> tuple[Response, datetime | None]:
        try:
            detail = selectors.product_get_published(slug=slug)
        except NotFoundError:
            target = selectors.product_merged_target_slug(slug=slug)
            if target is None:
                raise
            location = reverse("catalog:product-detail", kwargs={"slug": target})
            redirect = Response(
                {"slug": target, "url": location},
                status=status.HTTP_301_MOVED_PERMANENTLY,
                headers={"Location": location},
            )
            return redirect, None
        return Response(ProductDetailOutput(detail).data), detail.last_modified


# --- staff writes (role "admin") ---------------------------------------------------------


class _StaffApi(BazaarAPIView):
    permission_classes = (IsAdmin,)


def _staff_product(product_id: uuid.UUID, status_code: int = status.HTTP_200_OK) -> Response:
    product = selectors.product_get(product_id=product_id)
    return Response(StaffProductOutput(product).data, status=status_code)


class ProductCreateApi(_StaffApi):
    """Staff: create a draft product (with its variants)."""

    @extend_schema(
        operation_id="catalog_staff_product_create",
        summary="Create a draft product",
        request=ProductCreateInput,
        responses={201: StaffProductOutput},
    )
    def post(self, request: Request) -> Response:
        data = ProductCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        variants = [services.VariantInput(**v) for v in params.pop("variants")]
        product = services.product_create(**params, variants=variants)
        return _staff_product(product.pk, status.HTTP_201_CREATED)


class ProductUpdateApi(_StaffApi):
    """Staff: edit a product (only the fields sent)."""

    @extend_schema(
        operation_id="catalog_staff_product_update",
        summary="Edit a product",
        request=ProductUpdateInput,
        responses={200: StaffProductOutput},
    )
    def patch(self, request: Request, product_id: uuid.UUID) -> Response:
        data = ProductUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.product_update(product_id=product_id, **data.validated_data)
        return _staff_product(product_id)


class ProductPublishApi(_StaffApi):
    """Staff: publish a draft or unpublished product."""

    @extend_schema(
        operation_id="catalog_staff_product_publish",
        summary="Publish a product",
        request=None,
        responses={200: StaffProductOutput},
    )
    def post(self, request: Request, product_id: uuid.UUID) -> Response:
        services.product_publish(product_id=product_id)
        return _staff_product(product_id)


class ProductUnpublishApi(_StaffApi):
    """Staff: take a published product off the catalogue."""

    @extend_schema(
        operation_id="catalog_staff_product_unpublish",
        summary="Unpublish a product",
        request=None,
        responses={200: StaffProductOutput},
    )
    def post(self, request: Request, product_id: uuid.UUID) -> Response:
        services.product_unpublish(product_id=product_id)
        return _staff_product(product_id)


class VariantCreateApi(_StaffApi):
    """Staff: add a variant to a product."""

    @extend_schema(
        operation_id="catalog_staff_variant_create",
        summary="Add a variant",
        request=VariantInput,
        responses={201: StaffProductOutput},
    )
    def post(self, request: Request, product_id: uuid.UUID) -> Response:
        data = VariantInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.variant_create(product_id=product_id, **data.validated_data)
        return _staff_product(product_id, status.HTTP_201_CREATED)


class ProductsMergeApi(_StaffApi):
    """Staff: merge duplicate products into one."""

    @extend_schema(
        operation_id="catalog_staff_products_merge",
        summary="Merge duplicates into a target product",
        request=ProductsMergeInput,
        responses={200: MergeOutput},
    )
    def post(self, request: Request) -> Response:
        data = ProductsMergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.products_merge(**data.validated_data)
        return Response(MergeOutput(result).data)
