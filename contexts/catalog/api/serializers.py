"""Input (query) and output serializers of the browsing API."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contexts.catalog.models import Attribute, Product, ProductImage, Variant
from contexts.catalog.selectors import DEFAULT_PRODUCT_SORT, ProductDetail

# --- query parameters -------------------------------------------------------------


class ProductListQuery(serializers.Serializer[Any]):
    category = serializers.SlugField(
        required=False,
        max_length=140,
        help_text="Category slug; the category's descendants are included.",
    )
    brand = serializers.ListField(
        child=serializers.SlugField(max_length=140),
        required=False,
        max_length=20,
        help_text="Brand slug; repeat the parameter for several brands (any of them).",
    )
    q = serializers.CharField(
        required=False,
        allow_blank=True,  # an empty search box means no search
        max_length=200,
        trim_whitespace=True,
        help_text="Words that must all appear in the product name (case-insensitive).",
    )
    sort = serializers.CharField(
        required=False,
        default=DEFAULT_PRODUCT_SORT,
        max_length=20,
        help_text=(
            "newest (default), oldest, name, -name, rating (best rated first), -rating "
            "(worst rated first); unrated products come last in both. price is reserved: "
            "it needs the vendors' offers and answers 400 until they are fed in."
        ),
    )


# --- shared pieces ----------------------------------------------------------------


class BrandRefOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()


class CategoryRefOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()


class BrandOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()


class CategoryNodeOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()
    depth = serializers.IntegerField()

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["children"] = CategoryNodeOutput(many=True)
        return fields


def _media_url(name: str | None) -> str | None:
    return default_storage.url(name) if name else None


class ThumbnailOutput(serializers.Serializer[Any]):
    url = serializers.CharField()
    alt_text = serializers.CharField()


# --- product list -----------------------------------------------------------------


class ProductListItemOutput(serializers.Serializer[Product]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()
    brand = BrandRefOutput(allow_null=True)
    category = CategoryRefOutput()
    attributes = serializers.DictField(
        child=serializers.JSONField(), help_text="Product-level attribute values by code."
    )
    thumbnail = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField()
    rating_average = serializers.FloatField(
        allow_null=True, help_text="Average review rating (1-5); null without reviews."
    )
    rating_count = serializers.IntegerField(help_text="Published reviews.")

    @extend_schema_field(ThumbnailOutput(allow_null=True))
    def get_thumbnail(self, product: Product) -> dict[str, Any] | None:
        name = getattr(product, "thumbnail_name", None)
        if not name:
            return None
        return {"url": _media_url(name), "alt_text": getattr(product, "thumbnail_alt", "") or ""}


# --- product detail ---------------------------------------------------------------


class AttributeValueOutput(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Attribute.Kind.choices)
    unit = serializers.CharField()
    value = serializers.JSONField(allow_null=True)


class VariantAttributeOutput(serializers.Serializer[Attribute]):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Attribute.Kind.choices)
    unit = serializers.CharField()
    is_required = serializers.BooleanField()
    allowed_values = serializers.ListField(child=serializers.CharField())


class VariantOutput(serializers.Serializer[Variant]):
    id = serializers.UUIDField()
    sku = serializers.CharField()
    name = serializers.CharField()
    attributes = serializers.DictField(child=serializers.JSONField())


class ImageOutput(serializers.Serializer[ProductImage]):
    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    alt_text = serializers.CharField()
    variant_id = serializers.UUIDField(allow_null=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_url(self, image: ProductImage) -> str | None:
        return _media_url(image.image.name)

    @extend_schema_field(OpenApiTypes.STR)
    def get_thumbnail_url(self, image: ProductImage) -> str | None:
        return _media_url(image.thumbnail.name)


class ProductTypeRefOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    slug = serializers.CharField()


class ProductDetailOutput(serializers.Serializer[ProductDetail]):
    id = serializers.UUIDField(source="product.id")
    name = serializers.CharField(source="product.name")
    slug = serializers.CharField(source="product.slug")
    description = serializers.CharField(
        source="product.description", help_text="Sanitised HTML, safe to render."
    )
    brand = BrandRefOutput(source="product.brand", allow_null=True)
    category_path = CategoryRefOutput(many=True, help_text="Root first, ending at the category.")
    product_type = ProductTypeRefOutput(source="product.product_type")
    attributes = serializers.SerializerMethodField()
    variant_attributes = serializers.SerializerMethodField()
    variants = VariantOutput(many=True)
    images = ImageOutput(many=True)
    published_at = serializers.DateTimeField(source="product.published_at")
    updated_at = serializers.DateTimeField(source="product.updated_at")
    rating_average = serializers.FloatField(
        source="product.rating_average",
        allow_null=True,
        help_text="Average review rating (1-5); null without reviews.",
    )
    rating_count = serializers.IntegerField(
        source="product.rating_count", help_text="Published reviews."
    )

    @extend_schema_field(AttributeValueOutput(many=True))
    def get_attributes(self, detail: ProductDetail) -> list[dict[str, Any]]:
        values = detail.product.attributes or {}
        return [
            {
                "code": a.code,
                "name": a.name,
                "kind": a.kind,
                "unit": a.unit,
                "value": values[a.code],
            }
            for a in detail.attributes
            if a.scope == Attribute.Scope.PRODUCT and a.code in values
        ]

    @extend_schema_field(VariantAttributeOutput(many=True))
    def get_variant_attributes(self, detail: ProductDetail) -> Any:
        variant_scoped = [a for a in detail.attributes if a.scope == Attribute.Scope.VARIANT]
        return [VariantAttributeOutput(a).data for a in variant_scoped]


MAX_VARIANTS_PER_REQUEST = 200

# --- staff writes -----------------------------------------------------------------
# Shapes only: the services check references, attribute types and uniqueness.


class VariantInput(serializers.Serializer[Any]):
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    attributes = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)
    is_active = serializers.BooleanField(required=False, default=True)


class ProductCreateInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=220, required=False)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    brand_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    category_id = serializers.UUIDField()
    product_type_id = serializers.UUIDField()
    attributes = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)
    variants = VariantInput(many=True, required=False, default=list)

    def validate_variants(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(value) > MAX_VARIANTS_PER_REQUEST:
            raise serializers.ValidationError(
                f"At most {MAX_VARIANTS_PER_REQUEST} variants per request."
            )
        return value


class ProductUpdateInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    slug = serializers.SlugField(max_length=220, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    brand_id = serializers.UUIDField(required=False, allow_null=True)
    category_id = serializers.UUIDField(required=False)
    attributes = serializers.DictField(child=serializers.JSONField(), required=False)


class ProductsMergeInput(serializers.Serializer[Any]):
    target_product_id = serializers.UUIDField()
    duplicate_product_ids = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=50
    )


class StaffVariantOutput(serializers.Serializer[Variant]):
    id = serializers.UUIDField()
    sku = serializers.CharField()
    name = serializers.CharField()
    attributes = serializers.DictField(child=serializers.JSONField())
    is_active = serializers.BooleanField()


class StaffProductOutput(serializers.Serializer[Product]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()
    status = serializers.ChoiceField(choices=Product.Status.choices)
    description = serializers.CharField()
    brand_id = serializers.UUIDField(allow_null=True)
    category_id = serializers.UUIDField()
    product_type_id = serializers.UUIDField()
    attributes = serializers.DictField(child=serializers.JSONField())
    proposed_by_vendor_id = serializers.UUIDField(allow_null=True)
    merged_into_id = serializers.UUIDField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    variants = serializers.SerializerMethodField()

    @extend_schema_field(StaffVariantOutput(many=True))
    def get_variants(self, product: Product) -> list[Any]:
        return [StaffVariantOutput(v).data for v in product.variants.order_by("position", "sku")]


class MergeOutput(serializers.Serializer[Any]):
    target_product_id = serializers.UUIDField()
    merged_product_ids = serializers.ListField(child=serializers.UUIDField())
    variant_id_map = serializers.DictField(child=serializers.UUIDField())
