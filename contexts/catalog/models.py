"""Catalogue persistence: categories, brands, product types and attributes, products,
variants and images. Invariants only; the rules live in ``services``.

Categories form a tree stored twice on purpose: ``parent`` (adjacency, what the admin
edits) and ``path`` (a materialised path of ancestor ids). ``path`` turns "this category
and all its descendants" into one indexed prefix query (``path LIKE '<path>%'``) and the
whole tree into one query, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.core.validators import RegexValidator
from django.db import models

#: Categories nest at most this deep (a root has depth 0). Keeps ``path`` bounded.
CATEGORY_MAX_DEPTH = 6
_PATH_SEGMENT = 33  # 32 hex characters and a "/"

#: An attribute code is used in query parameters (``attr_<code>``) and JSON keys.
attribute_code_validator = RegexValidator(
    r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$",
    "Use lower-case letters, digits and single underscores, starting with a letter.",
)
sku_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    "A SKU is 1-64 letters, digits, dots, dashes or underscores.",
)

# A typed attribute value as stored in JSON and carried by events.
AttributeValue = str | int | float | bool


class Category(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # "<root id hex>/<child id hex>/.../<own id hex>/": ancestors' ids then its own.
    path = models.CharField(
        max_length=CATEGORY_MAX_DEPTH * _PATH_SEGMENT + _PATH_SEGMENT,
        unique=True,
        editable=False,
    )
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    position = models.PositiveIntegerField(default=0, help_text="Order among its siblings.")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["depth", "position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def ancestor_ids(self) -> list[uuid.UUID]:
        """Ids from the root down to this category's parent (read from ``path``)."""
        return [uuid.UUID(part) for part in self.path.strip("/").split("/")[:-1] if part]


class Brand(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductType(models.Model):
    """A kind of product ("Phone", "Shoe") and the attributes its products carry."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Attribute(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        CHOICE = "choice", "Choice"
        BOOLEAN = "boolean", "Yes / no"

    class Scope(models.TextChoices):
        PRODUCT = "product", "Product (shared by all variants)"
        VARIANT = "variant", "Variant (differs between variants)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product_type = models.ForeignKey(
        ProductType, on_delete=models.CASCADE, related_name="attributes"
    )
    code = models.CharField(max_length=50, validators=[attribute_code_validator])
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.PRODUCT)
    allowed_values = models.JSONField(
        default=list, blank=True, help_text="Choice attributes only: the permitted values."
    )
    unit = models.CharField(max_length=20, blank=True, help_text='e.g. "GB", "cm", "W".')
    is_required = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "code"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["product_type", "code"], name="catalog_attribute_code_per_type_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["text", "number", "choice", "boolean"]),
                name="catalog_attribute_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_type_id}:{self.code}"


class Product(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    # Sanitised HTML (nh3): safe to render as is. Never assign unsanitised input here.
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    product_type = models.ForeignKey(ProductType, on_delete=models.PROTECT, related_name="products")
    # Values of the product-scoped attributes of ``product_type``: {code: value}.
    attributes = models.JSONField(default=dict, blank=True)
    # A vendor id from the vendors context (never a foreign key across contexts).
    proposed_by_vendor_id = models.UUIDField(null=True, blank=True, db_index=True)
    # Set when staff merged this product into another one; it then stays unpublished.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_duplicates"
    )
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="First publication; 'newest' sorts by it."
    )
    # A copy of the reviews context's aggregate (reviews.rating_summary_changed), kept here
    # so the list shows and sorts by it without asking that context. None: no reviews.
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    # When the stored summary was published: an older summary arriving late is ignored.
    rating_as_of = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "name", "id"], name="catalog_product_status_name"),
            models.Index(
                fields=["status", "-published_at", "id"], name="catalog_product_status_new"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    """A purchasable version of a product (a size, a colour, a capacity).

    Listings in the vendors context reference variant ids, so variants are never
    deleted by the services: they are deactivated, or re-pointed by a merge (which
    publishes ``catalog.products_merged`` with the old-to-new id map).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64, unique=True, validators=[sku_validator])
    name = models.CharField(max_length=200, blank=True)
    # Values of the variant-scoped attributes of the product's type: {code: value}.
    attributes = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "sku"]

    def __str__(self) -> str:
        return self.sku


def _image_path(instance: ProductImage, filename: str) -> str:
    return f"catalog/products/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    class Format(models.TextChoices):
        JPEG = "jpeg", "JPEG"
        PNG = "png", "PNG"
        WEBP = "webp", "WebP"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="images"
    )
    image = models.ImageField(upload_to=_image_path, max_length=255)
    thumbnail = models.ImageField(upload_to=_image_path, max_length=255)
    format = models.CharField(max_length=5, choices=Format.choices)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    alt_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "created_at"]

    def __str__(self) -> str:
        return self.image.name or str(self.id)


class Offer(models.Model):
    """A store's offer of a variant: the catalogue's read model of the vendors context's
    listings, kept by the handlers of ``vendors.listing_updated`` / ``listing_removed``.

    Ids of the vendors context are plain UUIDs (no foreign keys across contexts); the
    product and variant are this context's ids, also stored plainly so an offer for a
    variant merged away is simply never shown. ``source_updated_at`` is the listing's own
    time: an older snapshot arriving late is ignored, and a removal is kept as a
    tombstone (``is_removed``) so a redelivered snapshot cannot bring the offer back.
    """

    listing_id = models.UUIDField(primary_key=True)
    product_id = models.UUIDField()
    variant_id = models.UUIDField()
    store_id = models.UUIDField(db_index=True)
    vendor_id = models.UUIDField()
    store_name = models.CharField(max_length=120, blank=True)
    store_slug = models.CharField(max_length=50, blank=True)
    price_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    condition = models.CharField(max_length=12)
    available = models.IntegerField(default=0)
    is_purchasable = models.BooleanField(default=False)
    is_removed = models.BooleanField(default=False)
    source_updated_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["price_minor", "listing_id"]
        indexes = [
            # the list's subqueries: a product's live offers in one currency, by price
            models.Index(
                fields=["product_id", "currency", "price_minor"],
                condition=models.Q(is_purchasable=True, is_removed=False),
                name="offer_live_by_product",
            ),
            models.Index(fields=["product_id"], name="offer_product"),  # the detail page
            models.Index(fields=["updated_at"], name="offer_updated_at"),
        ]

    def __str__(self) -> str:
        return f"{self.store_name or self.store_id}: {self.price_minor} {self.currency}"

    @property
    def is_live(self) -> bool:
        return self.is_purchasable and not self.is_removed


class OfferSummary(models.Model):
    """Per product and currency, what the product list shows and sorts by, kept by the
    offer services from the live offers (``offers_summarise``): the lowest price, the
    lowest price among offers in stock, how many live offers, the largest stock.

    The list reads it with one join instead of correlated subqueries over every offer,
    so ``sort=price`` orders 10,000 products by a column rather than by 10,000 lookups.
    The product is a foreign key without a database constraint: an offer (and so its
    summary) may arrive before, or outlive, the product row it names.
    """

    product = models.ForeignKey(
        Product,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="offer_summaries",
    )
    currency = models.CharField(max_length=3)
    min_price = models.BigIntegerField()
    min_in_stock_price = models.BigIntegerField(null=True)
    offer_count = models.IntegerField()
    max_available = models.IntegerField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["product", "currency"], name="offer_summary_unique")
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["currency", "min_price"], name="offer_summary_price"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.currency}: from {self.min_price}"
