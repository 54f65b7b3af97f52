"""Writes: every change to the catalogue goes through one of these functions.

Each is keyword-only, validates its input (a wrong value raises
:class:`~bazaar_platform.api.errors.ApplicationError` naming the field, before anything
is written), runs in ``transaction.atomic()`` and publishes its integration events in
that same transaction (outbox), so a rollback takes the events with it.

Publication state machine of a product::

    draft ──publish──▶ published ──unpublish──▶ unpublished
                          ▲                          │
                          └─────────publish──────────┘

A merged duplicate stays ``unpublished`` with ``merged_into`` set and cannot be
published again.
"""

from __future__ import annotations

import io
import math
import uuid
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import IO, Any, Final, Literal

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, F, Max, Min, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageOps, UnidentifiedImageError

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from bazaar_platform.events import publish
from contexts.catalog import selectors
from contexts.catalog.cache import invalidate_browsing
from contexts.catalog.events import (
    ProductPublished,
    ProductsMerged,
    ProductSnapshotEvent,
    ProductUnpublished,
    ProductUpdated,
)
from contexts.catalog.models import (
    CATEGORY_MAX_DEPTH,
    Attribute,
    AttributeValue,
    Brand,
    Category,
    Offer,
    OfferSummary,
    Product,
    ProductImage,
    ProductType,
    Variant,
)


class Unset(Enum):
    """Marks an update argument the caller did not pass (``None`` can be a real value)."""

    UNSET = 0


UNSET: Final = Unset.UNSET

MAX_TEXT_ATTRIBUTE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 50_000
MAX_CHOICE_VALUES = 200

# --- small helpers --------------------------------------------------------------


def _as_uuid(value: uuid.UUID | str, *, field_name: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise ApplicationError(
            f"{field_name} is not a valid id.",
            code="validation_error",
            fields={field_name: ["Must be a UUID."]},
        ) from None


def _full_clean(instance: models.Model, *, exclude: Sequence[str] = ()) -> None:
    """Field-level checks (lengths, formats, choices) as an ApplicationError.

    Uniqueness is checked by the callers themselves, with a 409 that names the field.
    """
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except DjangoValidationError as exc:
        fields = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
        first = next(iter(fields.items()))
        raise ApplicationError(
            f"{first[0]}: {first[1][0]}", code="validation_error", fields=fields
        ) from None


def _clean_name(name: str, *, field_name: str = "name") -> str:
    cleaned = " ".join((name or "").split())
    if "\x00" in cleaned:
        raise ApplicationError(
            f"{field_name} contains a NUL character.",
            code="validation_error",
            fields={field_name: ["Null characters are not allowed."]},
        )
    if not cleaned:
        raise ApplicationError(
            f"{field_name} must not be blank.",
            code="validation_error",
            fields={field_name: ["This field may not be blank."]},
        )
    return cleaned


def _slug_taken(model: type[models.Model], slug: str, exclude_pk: Any = None) -> bool:
    qs = model._default_manager.filter(slug=slug)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _choose_slug(
    model: type[models.Model],
    *,
    requested: str | None,
    name: str,
    max_length: int,
    exclude_pk: Any = None,
) -> str:
    """An explicit slug must be free (409 otherwise); a derived one gets a numeric suffix."""
    if requested:
        if _slug_taken(model, requested, exclude_pk):
            raise ConflictError(
                f"The slug {requested!r} is already used.",
                code="slug_taken",
                fields={"slug": ["Already used by another record."]},
            )
        return requested
    base = slugify(name)[: max_length - 8].strip("-") or model.__name__.lower()
    qs = model._default_manager.filter(slug__startswith=base)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    taken = set(qs.values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _save_unique(instance: models.Model, *, field_name: str, **save_kwargs: Any) -> None:
    """Save; a concurrent writer that took the same unique value first becomes a 409."""
    try:
        with transaction.atomic():
            instance.save(**save_kwargs)
    except IntegrityError:
        raise ConflictError(
            f"The {field_name} is already used.",
            code=f"{field_name}_taken",
            fields={field_name: ["Already used by another record."]},
        ) from None


# --- description ------------------------------------------------------------------

_DESCRIPTION_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "ul", "ol", "li",
    "h2", "h3", "h4", "blockquote", "code", "pre", "a", "hr",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_DESCRIPTION_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}


def description_sanitise(markup: str) -> str:
    """Rich description HTML reduced to a safe subset (nh3): no scripts, styles,
    event handlers, images or foreign URL schemes; links get ``rel="nofollow"``."""
    if len(markup) > MAX_DESCRIPTION_LENGTH:
        raise ApplicationError(
            f"The description is longer than {MAX_DESCRIPTION_LENGTH} characters.",
            code="validation_error",
            fields={"description": [f"At most {MAX_DESCRIPTION_LENGTH} characters."]},
        )
    return nh3.clean(
        markup.replace("\x00", ""),
        tags=_DESCRIPTION_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_DESCRIPTION_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
    ).strip()


# --- attribute values -------------------------------------------------------------


def _normalise_value(attribute: Attribute, value: Any) -> AttributeValue:
    """``value`` as the attribute's type, or ValueError saying what was expected."""
    kind = attribute.kind
    if kind == Attribute.Kind.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError("Expected true or false.")
        return value
    if kind == Attribute.Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("Expected a number.")
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError("Expected a finite number.")
            if value.is_integer():
                return int(value)
        return value
    if not isinstance(value, str):
        raise ValueError("Expected text.")
    if "\x00" in value:
        raise ValueError("Null characters are not allowed.")
    text = value.strip()
    if kind == Attribute.Kind.CHOICE:
        allowed = attribute.allowed_values or []
        if text not in allowed:
            raise ValueError(f"Expected one of: {', '.join(map(str, allowed))}.")
        return text
    if not text:
        raise ValueError("Expected non-blank text.")
    if len(text) > MAX_TEXT_ATTRIBUTE_LENGTH:
        raise ValueError(f"At most {MAX_TEXT_ATTRIBUTE_LENGTH} characters.")
    return text


def _validate_attribute_values(
    *,
    definitions: Iterable[Attribute],
    values: Mapping[str, Any] | None,
    scope: str,
    field_name: str,
    require: bool,
) -> dict[str, AttributeValue]:
    """Check ``values`` against the product type's attributes of ``scope``.

    Unknown codes, values of the wrong type and (when ``require``) missing required
    attributes are reported together, per code, under ``field_name``.
    """
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ApplicationError(
            f"{field_name} must be an object of attribute values.",
            code="invalid_attributes",
            fields={field_name: ["Must be an object mapping attribute codes to values."]},
        )
    by_code = {a.code: a for a in definitions if a.scope == scope}
    errors: dict[str, list[str]] = {}
    clean: dict[str, AttributeValue] = {}
    for code, value in values.items():
        attribute = by_code.get(str(code))
        if attribute is None:
            errors[str(code)] = [f"Not a {scope} attribute of this product type."]
            continue
        if value is None:  # explicit "no value"
            continue
        try:
            clean[attribute.code] = _normalise_value(attribute, value)
        except ValueError as exc:
            errors[attribute.code] = [str(exc)]
    if require:
        for code, attribute in by_code.items():
            if attribute.is_required and code not in clean and code not in errors:
                errors[code] = ["This attribute is required."]
    if errors:
        code, messages = next(iter(errors.items()))
        nested: dict[str, Any] = {field_name: errors}
        raise ApplicationError(
            f"{field_name}.{code}: {messages[0]}", code="invalid_attributes", fields=nested
        )
    return dict(sorted(clean.items()))


# --- events -----------------------------------------------------------------------


def _publish_snapshots(
    product_ids: Iterable[uuid.UUID],
    event_cls: type[ProductSnapshotEvent] = ProductUpdated,
    *,
    batch: int = 500,
) -> None:
    ids = list(dict.fromkeys(product_ids))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        snapshots = selectors.product_snapshots(product_ids=chunk)
        for product_id in chunk:
            publish(event_cls(**snapshots[product_id]))


def product_events_publish(*, product_ids: Iterable[uuid.UUID]) -> int:
    """Announce the current state of existing products (a bulk load such as ``seed_demo``
    that wrote rows directly): ``product_published`` for published ones, else
    ``product_updated``. Returns how many events were published."""
    ids = list(product_ids)
    with transaction.atomic():
        published = set(
            Product.objects.filter(pk__in=ids, status=Product.Status.PUBLISHED).values_list(
                "pk", flat=True
            )
        )
        _publish_snapshots([i for i in ids if i in published], ProductPublished)
        _publish_snapshots([i for i in ids if i not in published], ProductUpdated)
    return len(ids)


# --- categories -------------------------------------------------------------------


def _category_get(
    category_id: uuid.UUID | str, *, field_name: str = "category_id", lock: bool = False
) -> Category:
    qs = Category.objects.select_for_update() if lock else Category.objects.all()
    category = qs.filter(pk=_as_uuid(category_id, field_name=field_name)).first()
    if category is None:
        raise NotFoundError(
            f"No category has the id {category_id}.", fields={field_name: ["Unknown category."]}
        )
    return category


def category_create(
    *,
    name: str,
    slug: str | None = None,
    parent_id: uuid.UUID | str | None = None,
    position: int = 0,
    description: str = "",
) -> Category:
    with transaction.atomic():
        # the lock waits for a concurrent move of the parent, then reads its new path
        parent = _category_get(parent_id, field_name="parent_id", lock=True) if parent_id else None
        depth = parent.depth + 1 if parent else 0
        if depth >= CATEGORY_MAX_DEPTH:
            raise ApplicationError(
                f"Categories nest at most {CATEGORY_MAX_DEPTH} levels deep.",
                code="category_too_deep",
                fields={"parent_id": ["This parent is already at the deepest level."]},
            )
        name = _clean_name(name)
        category = Category(
            id=uuid.uuid4(),
            name=name,
            parent=parent,
            depth=depth,
            position=position,
            description=description,
        )
        category.path = (parent.path if parent else "") + category.id.hex + "/"
        category.slug = _choose_slug(Category, requested=slug, name=name, max_length=140)
        _full_clean(category, exclude=["parent"])
        _save_unique(category, field_name="slug")
        return category


def category_update(
    *,
    category_id: uuid.UUID | str,
    name: str | Unset = UNSET,
    slug: str | Unset = UNSET,
    parent_id: uuid.UUID | str | Unset | None = UNSET,
    position: int | Unset = UNSET,
    description: str | Unset = UNSET,
) -> Category:
    """Rename, re-slug, reorder or move a category (with its whole subtree).

    Products in the subtree are re-announced (``product_updated``) when their category
    path changes (name, slug or parent).
    """
    with transaction.atomic():
        # Lock the category and its new parent together, in id order: two crossing moves
        # (A under B, B under A) then run one after the other, and the second one sees
        # the first one's paths and refuses the cycle instead of creating it.
        wanted = [_as_uuid(category_id, field_name="category_id")]
        if parent_id is not None and not isinstance(parent_id, Unset):
            wanted.append(_as_uuid(parent_id, field_name="parent_id"))
        locked = {
            c.pk: c
            for c in Category.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
        }
        category = locked.get(wanted[0]) or _category_get(category_id)
        path_changed = False
        if not isinstance(name, Unset):
            new_name = _clean_name(name)
            path_changed |= new_name != category.name
            category.name = new_name
        if not isinstance(slug, Unset) and slug != category.slug:
            category.slug = _choose_slug(
                Category, requested=slug, name=category.name, max_length=140, exclude_pk=category.pk
            )
            path_changed = True
        if not isinstance(position, Unset):
            category.position = position
        if not isinstance(description, Unset):
            category.description = description
        _full_clean(category, exclude=["parent"])
        _save_unique(category, field_name="slug")

        if not isinstance(parent_id, Unset):
            new_parent = None
            if parent_id is not None:
                new_parent = locked.get(wanted[-1]) or _category_get(
                    parent_id, field_name="parent_id"
                )
            if (new_parent.pk if new_parent else None) != category.parent_id:
                _category_move(category, new_parent)
                path_changed = True

        if path_changed:
            affected = Product.objects.filter(category__path__startswith=category.path).values_list(
                "pk", flat=True
            )
            _publish_snapshots(list(affected))
        category.refresh_from_db()
        return category


def _category_move(category: Category, new_parent: Category | None) -> None:
    if new_parent is not None and new_parent.path.startswith(category.path):
        raise ConflictError(
            "A category cannot move under itself or one of its descendants.",
            code="category_cycle",
            fields={"parent_id": ["This is the category itself or one of its descendants."]},
        )
    old_path = category.path
    new_path = (new_parent.path if new_parent else "") + category.id.hex + "/"
    delta = (new_parent.depth + 1 if new_parent else 0) - category.depth
    subtree = Category.objects.filter(path__startswith=old_path)
    deepest = subtree.aggregate(m=Max("depth"))["m"] or category.depth
    if deepest + delta >= CATEGORY_MAX_DEPTH:
        raise ApplicationError(
            f"Categories nest at most {CATEGORY_MAX_DEPTH} levels deep.",
            code="category_too_deep",
            fields={"parent_id": ["The subtree would be too deep under this parent."]},
        )
    subtree.update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + delta,
        updated_at=timezone.now(),
    )
    Category.objects.filter(pk=category.pk).update(parent=new_parent)
    invalidate_browsing()  # QuerySet.update sends no signal
    category.path = new_path
    category.parent = new_parent
    category.depth += delta


# --- brands -----------------------------------------------------------------------


def brand_create(*, name: str, slug: str | None = None) -> Brand:
    with transaction.atomic():
        name = _clean_name(name)
        if Brand.objects.filter(name__iexact=name).exists():
            raise ConflictError(
                f"A brand called {name!r} exists.",
                code="name_taken",
                fields={"name": ["Already used by another brand."]},
            )
        brand = Brand(
            name=name, slug=_choose_slug(Brand, requested=slug, name=name, max_length=140)
        )
        _full_clean(brand)
        _save_unique(brand, field_name="slug")
        return brand


def brand_update(
    *, brand_id: uuid.UUID | str, name: str | Unset = UNSET, slug: str | Unset = UNSET
) -> Brand:
    with transaction.atomic():
        brand = (
            Brand.objects.select_for_update()
            .filter(pk=_as_uuid(brand_id, field_name="brand_id"))
            .first()
        )
        if brand is None:
            raise NotFoundError(f"No brand has the id {brand_id}.")
        if not isinstance(name, Unset):
            name = _clean_name(name)
            if Brand.objects.filter(name__iexact=name).exclude(pk=brand.pk).exists():
                raise ConflictError(
                    f"A brand called {name!r} exists.",
                    code="name_taken",
                    fields={"name": ["Already used by another brand."]},
                )
            brand.name = name
        if not isinstance(slug, Unset) and slug != brand.slug:
            brand.slug = _choose_slug(
                Brand, requested=slug, name=brand.name, max_length=140, exclude_pk=brand.pk
            )
        _full_clean(brand)
        _save_unique(brand, field_name="slug")
        _publish_snapshots(list(brand.products.values_list("pk", flat=True)))
        return brand


# --- product types and attributes ---------------------------------------------------


def product_type_create(*, name: str, slug: str | None = None) -> ProductType:
    with transaction.atomic():
        name = _clean_name(name)
        if ProductType.objects.filter(name__iexact=name).exists():
            raise ConflictError(
                f"A product type called {name!r} exists.",
                code="name_taken",
                fields={"name": ["Already used by another product type."]},
            )
        product_type = ProductType(
            name=name, slug=_choose_slug(ProductType, requested=slug, name=name, max_length=140)
        )
        _full_clean(product_type)
        _save_unique(product_type, field_name="slug")
        return product_type


def product_type_update(
    *, product_type_id: uuid.UUID | str, name: str | Unset = UNSET, slug: str | Unset = UNSET
) -> ProductType:
    """Rename or re-slug a product type; its products are re-announced (the slug is in
    their snapshot)."""
    with transaction.atomic():
        product_type = (
            ProductType.objects.select_for_update()
            .filter(pk=_as_uuid(product_type_id, field_name="product_type_id"))
            .first()
        )
        if product_type is None:
            raise NotFoundError(f"No product type has the id {product_type_id}.")
        if not isinstance(name, Unset):
            name = _clean_name(name)
            if ProductType.objects.filter(name__iexact=name).exclude(pk=product_type.pk).exists():
                raise ConflictError(
                    f"A product type called {name!r} exists.",
                    code="name_taken",
                    fields={"name": ["Already used by another product type."]},
                )
            product_type.name = name
        slug_changed = not isinstance(slug, Unset) and slug != product_type.slug
        if not isinstance(slug, Unset) and slug_changed:
            product_type.slug = _choose_slug(
                ProductType,
                requested=slug,
                name=product_type.name,
                max_length=140,
                exclude_pk=product_type.pk,
            )
        _full_clean(product_type)
        _save_unique(product_type, field_name="slug")
        if slug_changed:
            _publish_snapshots(list(product_type.products.values_list("pk", flat=True)))
        return product_type


def _check_allowed_values(kind: str, allowed_values: Sequence[Any]) -> list[str]:
    if kind == Attribute.Kind.CHOICE:
        values = [str(v).strip() for v in allowed_values]
        if not values or any(not v for v in values):
            raise ApplicationError(
                "A choice attribute needs a list of non-blank allowed values.",
                code="validation_error",
                fields={"allowed_values": ["Give at least one non-blank value."]},
            )
        if len(set(values)) != len(values) or len(values) > MAX_CHOICE_VALUES:
            raise ApplicationError(
                "Allowed values must be distinct (and at most 200).",
                code="validation_error",
                fields={"allowed_values": ["Values must be distinct, at most 200."]},
            )
        return values
    if allowed_values:
        raise ApplicationError(
            "Only choice attributes have allowed values.",
            code="validation_error",
            fields={"allowed_values": ["Leave empty unless the kind is 'choice'."]},
        )
    return []


def attribute_create(
    *,
    product_type_id: uuid.UUID | str,
    code: str,
    name: str,
    kind: str,
    scope: str = Attribute.Scope.PRODUCT,
    allowed_values: Sequence[Any] = (),
    unit: str = "",
    is_required: bool = False,
    position: int = 0,
) -> Attribute:
    with transaction.atomic():
        product_type = (
            ProductType.objects.select_for_update()
            .filter(pk=_as_uuid(product_type_id, field_name="product_type_id"))
            .first()
        )
        if product_type is None:
            raise NotFoundError(f"No product type has the id {product_type_id}.")
        attribute = Attribute(
            product_type=product_type,
            code=code,
            name=_clean_name(name),
            kind=kind,
            scope=scope,
            allowed_values=_check_allowed_values(kind, allowed_values),
            unit=unit,
            is_required=is_required,
            position=position,
        )
        _full_clean(attribute, exclude=["product_type"])
        if Attribute.objects.filter(product_type=product_type, code=code).exists():
            raise ConflictError(
                f"{product_type.name} already has an attribute {code!r}.",
                code="code_taken",
                fields={"code": ["Already used in this product type."]},
            )
        _save_unique(attribute, field_name="code")
        product_type.save(update_fields=["updated_at"])
        return attribute


def attribute_update(
    *,
    attribute_id: uuid.UUID | str,
    name: str | Unset = UNSET,
    allowed_values: Sequence[Any] | Unset = UNSET,
    unit: str | Unset = UNSET,
    is_required: bool | Unset = UNSET,
    position: int | Unset = UNSET,
) -> Attribute:
    """Change an attribute's presentation, or add/remove allowed values.

    Its code, kind and scope are fixed once created: stored values depend on them.
    Removing an allowed value still used by a product or variant is refused.
    """
    with transaction.atomic():
        attribute = (
            Attribute.objects.select_for_update()
            .select_related("product_type")
            .filter(pk=_as_uuid(attribute_id, field_name="attribute_id"))
            .first()
        )
        if attribute is None:
            raise NotFoundError(f"No attribute has the id {attribute_id}.")
        if not isinstance(name, Unset):
            attribute.name = _clean_name(name)
        if not isinstance(unit, Unset):
            attribute.unit = unit
        if not isinstance(is_required, Unset):
            attribute.is_required = is_required
        if not isinstance(position, Unset):
            attribute.position = position
        if not isinstance(allowed_values, Unset):
            new_values = _check_allowed_values(attribute.kind, allowed_values)
            removed = set(attribute.allowed_values or []) - set(new_values)
            for value in sorted(removed):
                if _attribute_value_in_use(attribute, value):
                    raise ConflictError(
                        f"{value!r} is still used by products of {attribute.product_type.name}.",
                        code="value_in_use",
                        fields={"allowed_values": [f"{value!r} is in use."]},
                    )
            attribute.allowed_values = new_values
        _full_clean(attribute, exclude=["product_type"])
        attribute.save()
        attribute.product_type.save(update_fields=["updated_at"])
        return attribute


def _attribute_value_in_use(attribute: Attribute, value: AttributeValue) -> bool:
    condition = Q(**{selectors.attribute_alias(attribute.code): value})
    if attribute.scope == Attribute.Scope.PRODUCT:
        products = Product.objects.filter(product_type=attribute.product_type_id)
        return selectors.with_attribute_value(products, attribute.code).filter(condition).exists()
    variants = Variant.objects.filter(product__product_type=attribute.product_type_id)
    return selectors.with_attribute_value(variants, attribute.code).filter(condition).exists()


# --- products ---------------------------------------------------------------------


def _product_for_update(product_id: uuid.UUID | str) -> Product:
    product = (
        Product.objects.select_for_update()
        .filter(pk=_as_uuid(product_id, field_name="product_id"))
        .first()
    )
    if product is None:
        raise NotFoundError(
            f"No product has the id {product_id}.", fields={"product_id": ["Unknown product."]}
        )
    return product


def _brand_get(brand_id: uuid.UUID | str) -> Brand:
    brand = Brand.objects.filter(pk=_as_uuid(brand_id, field_name="brand_id")).first()
    if brand is None:
        raise ApplicationError(
            f"No brand has the id {brand_id}.",
            code="unknown_brand",
            fields={"brand_id": ["Unknown brand."]},
        )
    return brand


def _product_type_get(product_type_id: uuid.UUID | str) -> ProductType:
    product_type = ProductType.objects.filter(
        pk=_as_uuid(product_type_id, field_name="product_type_id")
    ).first()
    if product_type is None:
        raise ApplicationError(
            f"No product type has the id {product_type_id}.",
            code="unknown_product_type",
            fields={"product_type_id": ["Unknown product type."]},
        )
    return product_type


def _known_category(category_id: uuid.UUID | str) -> Category:
    try:
        return _category_get(category_id)
    except NotFoundError as exc:  # a reference in the input, not the resource itself: a 400
        raise ApplicationError(exc.message, code="unknown_category", fields=exc.fields) from None


@dataclass(frozen=True)
class VariantInput:
    sku: str
    name: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    is_active: bool = True


def product_create(
    *,
    name: str,
    category_id: uuid.UUID | str,
    product_type_id: uuid.UUID | str,
    brand_id: uuid.UUID | str | None = None,
    slug: str | None = None,
    description: str = "",
    attributes: Mapping[str, Any] | None = None,
    variants: Sequence[VariantInput] = (),
    proposed_by_vendor_id: uuid.UUID | str | None = None,
) -> Product:
    """Create a draft product (and its variants, all or nothing)."""
    with transaction.atomic():
        name = _clean_name(name)
        category = _known_category(category_id)
        product_type = _product_type_get(product_type_id)
        brand = _brand_get(brand_id) if brand_id else None
        definitions = selectors.product_type_attributes(product_type_id=product_type.pk)
        product = Product(
            name=name,
            description=description_sanitise(description or ""),
            category=category,
            product_type=product_type,
            brand=brand,
            attributes=_validate_attribute_values(
                definitions=definitions,
                values=attributes,
                scope=Attribute.Scope.PRODUCT,
                field_name="attributes",
                require=False,
            ),
            proposed_by_vendor_id=(
                _as_uuid(proposed_by_vendor_id, field_name="vendor_id")
                if proposed_by_vendor_id
                else None
            ),
        )
        product.slug = _choose_slug(Product, requested=slug, name=name, max_length=220)
        _full_clean(product, exclude=["category", "product_type", "brand", "merged_into"])
        _save_unique(product, field_name="slug")
        for index, variant in enumerate(variants):
            _variant_add(
                product, definitions, variant, position=index, field_prefix=f"variants.{index}"
            )
        _publish_snapshots([product.pk])
        return product


def product_propose(
    *,
    vendor_id: uuid.UUID | str,
    name: str,
    category_id: uuid.UUID | str,
    product_type_id: uuid.UUID | str,
    brand_id: uuid.UUID | str | None = None,
    description: str = "",
    attributes: Mapping[str, Any] | None = None,
    variants: Sequence[VariantInput] = (),
) -> Product:
    """A vendor proposes a product missing from the catalogue. It lands as a draft,
    remembered as proposed by ``vendor_id``, for staff to curate and publish."""
    return product_create(
        name=name,
        category_id=category_id,
        product_type_id=product_type_id,
        brand_id=brand_id,
        description=description,
        attributes=attributes,
        variants=variants,
        proposed_by_vendor_id=_as_uuid(vendor_id, field_name="vendor_id"),
    )


def product_update(
    *,
    product_id: uuid.UUID | str,
    name: str | Unset = UNSET,
    slug: str | Unset = UNSET,
    description: str | Unset = UNSET,
    brand_id: uuid.UUID | str | Unset | None = UNSET,
    category_id: uuid.UUID | str | Unset = UNSET,
    attributes: Mapping[str, Any] | Unset = UNSET,
) -> Product:
    """Edit a product. Its product type is fixed (variants' values depend on it)."""
    with transaction.atomic():
        product = _product_for_update(product_id)
        if product.merged_into_id is not None:
            raise ConflictError(
                "This product was merged into another one; edit that one.", code="product_merged"
            )
        if not isinstance(name, Unset):
            product.name = _clean_name(name)
        if not isinstance(slug, Unset) and slug != product.slug:
            product.slug = _choose_slug(
                Product, requested=slug, name=product.name, max_length=220, exclude_pk=product.pk
            )
        if not isinstance(description, Unset):
            product.description = description_sanitise(description)
        if not isinstance(brand_id, Unset):
            product.brand = _brand_get(brand_id) if brand_id else None
        if not isinstance(category_id, Unset):
            product.category = _known_category(category_id)
        if not isinstance(attributes, Unset):
            product.attributes = _validate_attribute_values(
                definitions=selectors.product_type_attributes(
                    product_type_id=product.product_type_id
                ),
                values=attributes,
                scope=Attribute.Scope.PRODUCT,
                field_name="attributes",
                require=product.status == Product.Status.PUBLISHED,
            )
        _full_clean(product, exclude=["category", "product_type", "brand", "merged_into"])
        _save_unique(product, field_name="slug")
        _publish_snapshots([product.pk])
        return product


_TRANSITIONS: dict[str, set[str]] = {
    "publish": {Product.Status.DRAFT, Product.Status.UNPUBLISHED},
    "unpublish": {Product.Status.PUBLISHED},
}


def _check_transition(product: Product, action: Literal["publish", "unpublish"]) -> None:
    if product.merged_into_id is not None:
        raise ConflictError(
            "This product was merged into another one and cannot change state.",
            code="product_merged",
        )
    if product.status not in _TRANSITIONS[action]:
        raise ConflictError(
            f"A {product.status} product cannot be {action}ed.",
            code="invalid_transition",
            extra={"status": product.status},
        )


def product_publish(*, product_id: uuid.UUID | str) -> Product:
    """Make a draft or unpublished product visible. It needs at least one active variant
    and every required attribute, on the product and on each active variant."""
    with transaction.atomic():
        product = _product_for_update(product_id)
        _check_transition(product, "publish")
        definitions = selectors.product_type_attributes(product_type_id=product.product_type_id)
        _validate_attribute_values(
            definitions=definitions,
            values=product.attributes,
            scope=Attribute.Scope.PRODUCT,
            field_name="attributes",
            require=True,
        )
        active = list(product.variants.filter(is_active=True))
        if not active:
            raise ConflictError(
                "A product needs at least one active variant to be published.",
                code="no_active_variant",
            )
        for variant in active:
            _validate_attribute_values(
                definitions=definitions,
                values=variant.attributes,
                scope=Attribute.Scope.VARIANT,
                field_name=f"variants.{variant.sku}.attributes",
                require=True,
            )
        product.status = Product.Status.PUBLISHED
        product.published_at = product.published_at or timezone.now()
        product.save(update_fields=["status", "published_at", "updated_at"])
        _publish_snapshots([product.pk], ProductPublished)
        return product


def product_unpublish(*, product_id: uuid.UUID | str) -> Product:
    with transaction.atomic():
        product = _product_for_update(product_id)
        _check_transition(product, "unpublish")
        product.status = Product.Status.UNPUBLISHED
        product.save(update_fields=["status", "updated_at"])
        publish(ProductUnpublished(product_id=product.pk, slug=product.slug))
        return product


# --- variants ---------------------------------------------------------------------


def _attribute_key(values: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, repr(v)) for k, v in values.items()))


def _check_sku_free(
    sku: str, *, exclude_pk: uuid.UUID | None = None, field_name: str = "sku"
) -> None:
    qs = Variant.objects.filter(sku__iexact=sku)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ConflictError(
            f"The SKU {sku!r} is already used.",
            code="sku_taken",
            fields={field_name: ["Already used by another variant."]},
        )


def _check_distinct_variant(
    product: Product, values: Mapping[str, Any], *, exclude_pk: uuid.UUID | None = None
) -> None:
    key = _attribute_key(values)
    siblings = product.variants.filter(is_active=True)
    if exclude_pk is not None:
        siblings = siblings.exclude(pk=exclude_pk)
    for sibling in siblings.only("sku", "attributes"):
        if _attribute_key(sibling.attributes or {}) == key:
            raise ConflictError(
                f"Variant {sibling.sku} already has these attribute values.",
                code="duplicate_variant",
                fields={"attributes": [f"Same values as variant {sibling.sku}."]},
            )


def _variant_add(
    product: Product,
    definitions: list[Attribute],
    data: VariantInput,
    *,
    position: int,
    field_prefix: str = "",
) -> Variant:
    def name(field_name: str) -> str:
        return f"{field_prefix}.{field_name}" if field_prefix else field_name

    sku = (data.sku or "").strip()
    values = _validate_attribute_values(
        definitions=definitions,
        values=data.attributes,
        scope=Attribute.Scope.VARIANT,
        field_name=name("attributes"),
        require=product.status == Product.Status.PUBLISHED,
    )
    variant = Variant(
        product=product,
        sku=sku,
        name=" ".join((data.name or "").split()),
        attributes=values,
        is_active=data.is_active,
        position=position,
    )
    try:
        variant.full_clean(exclude=["product"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        fields = {name(k): [str(m) for m in v] for k, v in exc.message_dict.items()}
        raise ApplicationError(
            next(f"{k}: {v[0]}" for k, v in fields.items()), code="validation_error", fields=fields
        ) from None
    _check_sku_free(sku, field_name=name("sku"))
    if data.is_active:
        _check_distinct_variant(product, values)
    _save_unique(variant, field_name="sku")
    return variant


def variant_create(
    *,
    product_id: uuid.UUID | str,
    sku: str,
    name: str = "",
    attributes: Mapping[str, Any] | None = None,
    is_active: bool = True,
) -> Variant:
    with transaction.atomic():
        product = _product_for_update(product_id)
        if product.merged_into_id is not None:
            raise ConflictError("This product was merged into another one.", code="product_merged")
        definitions = selectors.product_type_attributes(product_type_id=product.product_type_id)
        position = (product.variants.aggregate(m=Max("position"))["m"] or 0) + 1
        variant = _variant_add(
            product,
            definitions,
            VariantInput(sku=sku, name=name, attributes=attributes or {}, is_active=is_active),
            position=position,
        )
        product.save(update_fields=["updated_at"])
        _publish_snapshots([product.pk])
        return variant


def variant_update(
    *,
    variant_id: uuid.UUID | str,
    sku: str | Unset = UNSET,
    name: str | Unset = UNSET,
    attributes: Mapping[str, Any] | Unset = UNSET,
    is_active: bool | Unset = UNSET,
    position: int | Unset = UNSET,
) -> Variant:
    """Edit a variant. Variants are deactivated, never deleted (listings refer to them);
    the last active variant of a published product cannot be deactivated."""
    with transaction.atomic():
        pk = _as_uuid(variant_id, field_name="variant_id")
        found = Variant.objects.filter(pk=pk).values_list("product_id", flat=True).first()
        if found is None:
            raise NotFoundError(f"No variant has the id {variant_id}.")
        product = _product_for_update(found)  # the product first: the same lock order as elsewhere
        variant = Variant.objects.select_for_update().get(pk=pk)
        if not isinstance(sku, Unset):
            sku = sku.strip()
            if sku != variant.sku:
                _check_sku_free(sku, exclude_pk=variant.pk)
            variant.sku = sku
        if not isinstance(name, Unset):
            variant.name = " ".join(name.split())
        if not isinstance(position, Unset):
            variant.position = position
        if not isinstance(attributes, Unset):
            variant.attributes = _validate_attribute_values(
                definitions=selectors.product_type_attributes(
                    product_type_id=product.product_type_id
                ),
                values=attributes,
                scope=Attribute.Scope.VARIANT,
                field_name="attributes",
                require=product.status == Product.Status.PUBLISHED,
            )
        if not isinstance(is_active, Unset):
            if (
                not is_active
                and variant.is_active
                and product.status == Product.Status.PUBLISHED
                and not product.variants.filter(is_active=True).exclude(pk=variant.pk).exists()
            ):
                raise ConflictError(
                    "This is the last active variant of a published product; unpublish the "
                    "product first.",
                    code="last_active_variant",
                )
            variant.is_active = is_active
        _full_clean(variant, exclude=["product"])
        if variant.is_active:
            _check_distinct_variant(product, variant.attributes, exclude_pk=variant.pk)
        _save_unique(variant, field_name="sku")
        product.save(update_fields=["updated_at"])
        _publish_snapshots([product.pk])
        return variant


# --- merging duplicates -------------------------------------------------------------


@dataclass(frozen=True)
class MergeResult:
    target_product_id: uuid.UUID
    merged_product_ids: list[uuid.UUID]
    variant_id_map: dict[uuid.UUID, uuid.UUID]


def products_merge(
    *, target_product_id: uuid.UUID | str, duplicate_product_ids: Sequence[uuid.UUID | str]
) -> MergeResult:
    """Fold duplicate products into ``target_product_id`` (staff curation).

    Each duplicate's variants move to the target, except those whose attribute values
    match a target variant: those collapse into it and are deleted. Images move too;
    product attributes the target lacks are copied from the duplicates. Duplicates stay
    as unpublished tombstones (``merged_into``) so their old URL can redirect.
    Publishes ``catalog.products_merged`` (with the old-to-new variant id map, for
    contexts that hold variant ids), ``catalog.product_unpublished`` for each duplicate
    that was published, and ``catalog.product_updated`` for the target.
    """
    target_id = _as_uuid(target_product_id, field_name="target_product_id")
    duplicate_ids = list(
        dict.fromkeys(
            _as_uuid(d, field_name="duplicate_product_ids") for d in duplicate_product_ids
        )
    )
    if not duplicate_ids:
        raise ApplicationError(
            "Choose at least one duplicate to merge.",
            code="validation_error",
            fields={"duplicate_product_ids": ["At least one product."]},
        )
    if target_id in duplicate_ids:
        raise ApplicationError(
            "A product cannot be merged into itself.",
            code="validation_error",
            fields={"duplicate_product_ids": ["Must not contain the target."]},
        )
    with transaction.atomic():
        # lock in a fixed order so two concurrent merges cannot deadlock
        locked = {
            p.pk: p
            for p in Product.objects.select_for_update()
            .filter(pk__in=[target_id, *duplicate_ids])
            .order_by("pk")
        }
        missing = [str(i) for i in [target_id, *duplicate_ids] if i not in locked]
        if missing:
            raise NotFoundError(f"Unknown product: {', '.join(missing)}.")
        target = locked[target_id]
        duplicates = [locked[i] for i in duplicate_ids]
        for product in [target, *duplicates]:
            if product.merged_into_id is not None:
                raise ConflictError(
                    f"{product.name} was already merged into another product.",
                    code="product_merged",
                )
        mismatched = [d.name for d in duplicates if d.product_type_id != target.product_type_id]
        if mismatched:
            raise ConflictError(
                "Only products of the same product type can be merged: " + ", ".join(mismatched),
                code="product_type_mismatch",
            )

        target_variants = {
            _attribute_key(v.attributes or {}): v
            for v in target.variants.order_by("-is_active", "position")
        }
        next_position = (target.variants.aggregate(m=Max("position"))["m"] or 0) + 1
        next_image_position = (target.images.aggregate(m=Max("position"))["m"] or 0) + 1
        variant_map: dict[uuid.UUID, uuid.UUID] = {}
        collapsed: list[uuid.UUID] = []
        merged_attributes = dict(target.attributes or {})
        for duplicate in duplicates:
            for code, value in (duplicate.attributes or {}).items():
                merged_attributes.setdefault(code, value)
            for variant in duplicate.variants.order_by("position", "sku"):
                key = _attribute_key(variant.attributes or {})
                survivor = target_variants.get(key)
                if survivor is not None:
                    variant_map[variant.pk] = survivor.pk
                    collapsed.append(variant.pk)
                    continue
                variant.product = target
                variant.position = next_position
                next_position += 1
                variant.save(update_fields=["product", "position", "updated_at"])
                target_variants[key] = variant
                variant_map[variant.pk] = variant.pk
            for image in duplicate.images.order_by("position"):
                image.product = target
                image.position = next_image_position
                next_image_position += 1
                if image.variant_id in collapsed:
                    image.variant_id = variant_map[image.variant_id]
                image.save(update_fields=["product", "position", "variant"])

        Variant.objects.filter(pk__in=collapsed).delete()
        was_published = [d for d in duplicates if d.status == Product.Status.PUBLISHED]
        Product.objects.filter(pk__in=duplicate_ids).update(
            status=Product.Status.UNPUBLISHED, merged_into=target, updated_at=timezone.now()
        )
        # earlier merges into a duplicate now point at the final survivor
        Product.objects.filter(merged_into__in=duplicate_ids).update(merged_into=target)
        invalidate_browsing()  # QuerySet.update sends no signal
        target.attributes = dict(sorted(merged_attributes.items()))
        target.save(update_fields=["attributes", "updated_at"])

        publish(
            ProductsMerged(
                target_product_id=target.pk,
                merged_product_ids=duplicate_ids,
                product_id_map={str(d): target.pk for d in duplicate_ids},
                variant_id_map={str(old): new for old, new in variant_map.items()},
            )
        )
        for duplicate in was_published:
            publish(
                ProductUnpublished(
                    product_id=duplicate.pk, slug=duplicate.slug, merged_into_product_id=target.pk
                )
            )
        _publish_snapshots([target.pk])
        return MergeResult(
            target_product_id=target.pk,
            merged_product_ids=duplicate_ids,
            variant_id_map=variant_map,
        )


# --- images -----------------------------------------------------------------------

_PIL_FORMATS = {"JPEG": ProductImage.Format.JPEG, "PNG": ProductImage.Format.PNG,
                "WEBP": ProductImage.Format.WEBP}  # fmt: skip


@dataclass(frozen=True)
class ValidatedImage:
    """An upload that proved to be a real image, re-encoded without its metadata."""

    format: str
    width: int
    height: int
    content: bytes
    thumbnail: bytes


def _image_error(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={"image": [message]})


def image_validate(*, file: IO[bytes]) -> ValidatedImage:
    """Check an upload is a JPEG, PNG or WebP image within the size limits, then
    re-encode it (dropping EXIF and anything appended to the file) and make its thumbnail.

    The file's name and declared content type are ignored: only its bytes count.
    """
    max_bytes: int = settings.CATALOG_IMAGE_MAX_BYTES
    file.seek(0)
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _image_error(f"The image is larger than {max_bytes // 1024} KiB.", "image_too_large")
    if not data:
        raise _image_error("The file is empty.", "not_an_image")
    max_pixels: int = settings.CATALOG_IMAGE_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                pil_format = probe.format or ""
                width, height = probe.size
                if pil_format not in _PIL_FORMATS:
                    raise _image_error(
                        "Upload a JPEG, PNG or WebP image.", "unsupported_image_type"
                    )
                if width * height > max_pixels:
                    raise _image_error(
                        f"The image has more than {max_pixels} pixels.", "image_too_large"
                    )
                probe.verify()
            with Image.open(io.BytesIO(data)) as source:
                source.load()
                image = ImageOps.exif_transpose(source) or source
                fmt = _PIL_FORMATS[pil_format]
                content = _encode(image, fmt)
                thumb = image.copy()
                size = settings.CATALOG_THUMBNAIL_SIZE
                thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
                thumbnail = _encode(thumb, ProductImage.Format.WEBP, quality=80)
                width, height = image.size
    except ApplicationError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ):
        raise _image_error(
            "The file is not a readable JPEG, PNG or WebP image.", "not_an_image"
        ) from None
    return ValidatedImage(
        format=fmt, width=width, height=height, content=content, thumbnail=thumbnail
    )


def _encode(image: Image.Image, fmt: str, *, quality: int = 90) -> bytes:
    out = io.BytesIO()
    if fmt == ProductImage.Format.JPEG:
        image.convert("RGB").save(out, "JPEG", quality=quality, optimize=True)
    elif fmt == ProductImage.Format.PNG:
        mode = image.mode if image.mode in {"RGB", "RGBA", "L", "LA", "P"} else "RGBA"
        image.convert(mode).save(out, "PNG", optimize=True)
    else:
        mode = "RGBA" if image.mode in {"RGBA", "LA", "P", "PA"} else "RGB"
        image.convert(mode).save(out, "WEBP", quality=quality)
    return out.getvalue()


def product_image_add(
    *,
    product_id: uuid.UUID | str,
    file: IO[bytes],
    alt_text: str = "",
    variant_id: uuid.UUID | str | None = None,
) -> ProductImage:
    """Validate and store an image (and its thumbnail) for a product.

    Files are written to the default storage inside the transaction; if anything fails
    afterwards they are removed again, so no half-written image is left behind.
    """
    validated = image_validate(file=file)  # before any write
    stored: list[str] = []
    try:
        with transaction.atomic():
            product = _product_for_update(product_id)
            variant: Variant | None = None
            if variant_id:
                variant = product.variants.filter(
                    pk=_as_uuid(variant_id, field_name="variant_id")
                ).first()
                if variant is None:
                    raise ApplicationError(
                        "That variant is not one of this product's.",
                        code="validation_error",
                        fields={"variant_id": ["Not a variant of this product."]},
                    )
            image = ProductImage(
                id=uuid.uuid4(),
                product=product,
                variant=variant,
                format=validated.format,
                width=validated.width,
                height=validated.height,
                size_bytes=len(validated.content),
                alt_text=" ".join(alt_text.split()),
                position=(product.images.aggregate(m=Max("position"))["m"] or 0) + 1,
            )
            _full_clean(image, exclude=["product", "variant", "image", "thumbnail"])
            image.image.save(
                f"{image.id.hex}.{validated.format}", ContentFile(validated.content), save=False
            )
            stored.append(image.image.name or "")
            image.thumbnail.save(
                f"{image.id.hex}-thumb.webp", ContentFile(validated.thumbnail), save=False
            )
            stored.append(image.thumbnail.name or "")
            image.save()
            product.save(update_fields=["updated_at"])
            _publish_snapshots([product.pk])
            return image
    except BaseException:
        for name in stored:
            if name:
                default_storage.delete(name)
        raise


def product_image_update(
    *,
    image_id: uuid.UUID | str,
    alt_text: str | Unset = UNSET,
    position: int | Unset = UNSET,
) -> ProductImage:
    with transaction.atomic():
        image = ProductImage.objects.filter(pk=_as_uuid(image_id, field_name="image_id")).first()
        if image is None:
            raise NotFoundError(f"No image has the id {image_id}.")
        product = _product_for_update(image.product_id)
        if not isinstance(alt_text, Unset):
            image.alt_text = " ".join(alt_text.split())
        if not isinstance(position, Unset):
            image.position = position
        _full_clean(image, exclude=["product", "variant", "image", "thumbnail"])
        image.save(update_fields=["alt_text", "position"])
        product.save(update_fields=["updated_at"])
        _publish_snapshots([product.pk])
        return image


def product_image_delete(*, image_id: uuid.UUID | str) -> None:
    """Remove an image; its files are deleted once the transaction commits."""
    with transaction.atomic():
        image = ProductImage.objects.filter(pk=_as_uuid(image_id, field_name="image_id")).first()
        if image is None:
            raise NotFoundError(f"No image has the id {image_id}.")
        product = _product_for_update(image.product_id)
        names = [image.image.name, image.thumbnail.name]
        image.delete()
        product.save(update_fields=["updated_at"])
        _publish_snapshots([product.pk])

        def delete_files() -> None:
            for name in names:
                if name:
                    default_storage.delete(name)

        transaction.on_commit(delete_files)


# --- offers (read model of the vendors context's listings) -----------------------


@dataclass(frozen=True)
class OfferSnapshot:
    listing_id: uuid.UUID
    product_id: uuid.UUID
    variant_id: uuid.UUID
    store_id: uuid.UUID
    vendor_id: uuid.UUID
    price_minor: int
    currency: str
    condition: str
    available: int
    is_purchasable: bool
    updated_at: Any  # datetime: the listing's own time
    store_name: str = ""
    store_slug: str = ""


def _offer_lock(listing_id: uuid.UUID) -> Offer | None:
    return Offer.objects.select_for_update().filter(pk=listing_id).first()


def offer_upsert(*, snapshot: OfferSnapshot) -> bool:
    """Store a listing's snapshot unless a newer one (or a later removal) is stored.
    Returns whether it was stored. Safe under redelivery and out-of-order delivery."""
    fields = {
        "product_id": snapshot.product_id,
        "variant_id": snapshot.variant_id,
        "store_id": snapshot.store_id,
        "vendor_id": snapshot.vendor_id,
        "store_name": snapshot.store_name[:120],
        "store_slug": snapshot.store_slug[:50],
        "price_minor": snapshot.price_minor,
        "currency": snapshot.currency,
        "condition": snapshot.condition,
        "available": max(snapshot.available, 0),
        "is_purchasable": snapshot.is_purchasable,
        "is_removed": False,
        "source_updated_at": snapshot.updated_at,
    }
    with transaction.atomic():
        offer = _offer_lock(snapshot.listing_id)
        if offer is None:
            try:
                with transaction.atomic():
                    Offer.objects.create(listing_id=snapshot.listing_id, **fields)
            except IntegrityError:  # a concurrent delivery created it: compare with it
                offer = _offer_lock(snapshot.listing_id)
                assert offer is not None
            else:
                offers_summarise(product_ids=[snapshot.product_id])
                return True
        if offer.source_updated_at > snapshot.updated_at:
            return False
        previous_product_id = offer.product_id
        for name, value in fields.items():
            setattr(offer, name, value)
        offer.save()
        offers_summarise(product_ids={previous_product_id, snapshot.product_id})
    return True


def offer_remove(
    *,
    listing_id: uuid.UUID,
    product_id: uuid.UUID,
    variant_id: uuid.UUID,
    store_id: uuid.UUID,
    removed_at: Any,
) -> None:
    """Keep a tombstone: the offer no longer shows, and older snapshots stay ignored."""
    with transaction.atomic():
        offer = _offer_lock(listing_id)
        if offer is None:
            Offer.objects.create(
                listing_id=listing_id,
                product_id=product_id,
                variant_id=variant_id,
                store_id=store_id,
                vendor_id=uuid.UUID(int=0),
                price_minor=0,
                currency="",
                condition="",
                is_removed=True,
                source_updated_at=removed_at,
            )
            return
        if offer.is_removed:
            return
        offer.is_removed = True
        offer.is_purchasable = False
        offer.source_updated_at = max(offer.source_updated_at, removed_at)
        offer.save()
        offers_summarise(product_ids=[offer.product_id])


def _summary_lock(product_ids: list[uuid.UUID]) -> None:
    """Serialise the summaries of these products between transactions until commit.

    Two offers of one product changing at once would each recompute the summary without
    the other's uncommitted row, and the later commit would win with a wrong figure; an
    advisory lock per product (ids in order: no deadlock) makes the second recompute
    wait and then, reading committed rows, see both. No row to lock exists before a
    product's first summary, hence a lock on the id. SQLite writes one at a time anyway.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for product_id in product_ids:
            key = int.from_bytes(
                uuid.uuid5(_SUMMARY_LOCKS, str(product_id)).bytes[:8], "big", signed=True
            )
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


_SUMMARY_LOCKS = uuid.UUID("5b1f3c8e-2f4d-4c59-9a43-0c6f7e1d2a90")


def offers_summarise(*, product_ids: Iterable[uuid.UUID | str]) -> None:
    """Recompute the :class:`OfferSummary` rows of these products from their live offers
    (in the caller's transaction: a summary never disagrees with committed offers)."""
    ids = sorted({uuid.UUID(str(p)) for p in product_ids})
    if not ids:
        return
    with transaction.atomic():
        _summary_lock(ids)
        rows = (
            Offer.objects.filter(product_id__in=ids, is_purchasable=True, is_removed=False)
            .order_by()
            .values("product_id", "currency")
            .annotate(
                min_price=Min("price_minor"),
                min_in_stock_price=Min("price_minor", filter=Q(available__gt=0)),
                offer_count=Count("*"),
                max_available=Max("available"),
            )
        )
        OfferSummary.objects.filter(product_id__in=ids).delete()
        OfferSummary.objects.bulk_create([OfferSummary(**row) for row in rows])


def offers_summarise_all(*, batch_size: int = 2_000) -> int:
    """Rebuild every summary (after a bulk load of offers). Returns the products seen."""
    product_ids = list(Offer.objects.order_by().values_list("product_id", flat=True).distinct())
    for start in range(0, len(product_ids), batch_size):
        offers_summarise(product_ids=product_ids[start : start + batch_size])
    return len(product_ids)


# --- ratings (copied from the reviews context) ---------------------------------------


def product_rating_set(
    *,
    product_id: uuid.UUID | str,
    average: float,
    count: int,
    as_of: datetime,
) -> bool:
    """Store a product's rating summary as the reviews context published it at ``as_of``.

    Idempotent, and safe under redelivery out of order: a summary older than the stored
    one changes nothing (False). Moves ``updated_at`` so conditional GETs of the list and
    the detail see the new rating. Unknown products are ignored (the reviews context may
    know products this catalogue has since lost).
    """
    newer = Q(rating_as_of__isnull=True) | Q(rating_as_of__lt=as_of)
    updated = (
        Product.objects.filter(pk=product_id)
        .filter(newer)
        .update(
            rating_average=round(Decimal(str(average)), 2) if count else None,
            rating_count=count,
            rating_as_of=as_of,
            updated_at=timezone.now(),
        )
    )
    if updated:
        invalidate_browsing()  # QuerySet.update sends no signal
    return bool(updated)
