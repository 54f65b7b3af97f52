"""Staff admin for the catalogue.

Every save goes through ``services`` (so the same rules apply and the same events are
published as anywhere else). Forms validate by running the service in a savepoint
that is always rolled back ("dry run"): a service refusal becomes a form error on the
right field instead of a 500, and the rules are written once, in the services.
The admin already wraps each change view in a transaction, which makes savepoints cheap.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models, transaction
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html

from bazaar_platform.api.errors import ApplicationError
from contexts.catalog import services
from contexts.catalog.models import (
    Attribute,
    Brand,
    Category,
    Product,
    ProductImage,
    ProductType,
    Variant,
)


class _DryRunError(Exception):
    pass


def _form_field(service_field: str, form: forms.BaseForm) -> str | None:
    """The form field a service's error field refers to (``category_id`` -> ``category``)."""
    name = service_field.split(".")[-1] if service_field.startswith("variants.") else service_field
    for candidate in (name, name.removesuffix("_id")):
        if candidate in form.fields:
            return candidate
    return None


def _attach(form: forms.BaseForm, exc: ApplicationError) -> None:
    attached = False
    for service_field, messages_ in exc.fields.items():
        field = _form_field(service_field, form)
        if field is None:
            continue
        if isinstance(messages_, dict):
            texts = [f"{code}: {'; '.join(map(str, m))}" for code, m in messages_.items()]
        else:
            texts = [str(m) for m in messages_] or [exc.message]
        form.add_error(field, texts)
        attached = True
    if not attached:
        form.add_error(None, exc.message)


def dry_run(form: forms.BaseForm, call: Callable[[], object]) -> None:
    """Run ``call`` and roll it back; attach any service refusal to ``form``."""
    try:
        with transaction.atomic():
            call()
            raise _DryRunError
    except _DryRunError:
        pass
    except ApplicationError as exc:
        _attach(form, exc)


def dry_run_rows(formset: Any, save: Callable[[Any, forms.ModelForm], object]) -> None:
    """Dry-run every changed row of an inline formset in one savepoint, so two new rows
    that clash with each other (same SKU, same attribute code) are caught too."""
    try:
        with transaction.atomic():
            for form in formset.forms:
                if form.cleaned_data and form.has_changed():
                    try:
                        save(formset.instance, form)
                    except ApplicationError as exc:
                        _attach(form, exc)
            raise _DryRunError
    except _DryRunError:
        pass


def _start_formset(formset: Any) -> None:
    # what formset.save() would have recorded; the admin's change message reads it
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


def _record(formset: Any, form: forms.ModelForm, saved: models.Model, adding: bool) -> None:
    if adding:
        formset.new_objects.append(saved)
    else:
        formset.changed_objects.append((saved, form.changed_data))


# --- categories ---------------------------------------------------------------------


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ("name", "slug", "parent", "position", "description")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            dry_run(self, lambda: _save_category(self.instance, data))
        return data


def _save_category(instance: Category, data: dict[str, Any]) -> Category:
    parent = data.get("parent")
    if instance.pk is None or instance._state.adding:
        return services.category_create(
            name=data["name"],
            slug=data.get("slug") or None,
            parent_id=parent.pk if parent else None,
            position=data.get("position") or 0,
            description=data.get("description") or "",
        )
    return services.category_update(
        category_id=instance.pk,
        name=data["name"],
        slug=data["slug"],
        parent_id=parent.pk if parent else None,
        position=data.get("position") or 0,
        description=data.get("description") or "",
    )


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    list_display = ("indented_name", "slug", "position", "product_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("path",)  # a parent, then its subtree

    @admin.display(description="name", ordering="path")
    def indented_name(self, obj: Category) -> str:
        return format_html("{}{}", "\u2003" * obj.depth, obj.name)

    @admin.display(description="products")
    def product_count(self, obj: Category) -> int:
        return getattr(obj, "n_products", 0)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(n_products=models.Count("products"))

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        saved = _save_category(obj, form.cleaned_data)
        obj.pk = saved.pk
        obj.refresh_from_db()


# --- brands -------------------------------------------------------------------------


class BrandForm(forms.ModelForm):
    class Meta:
        model = Brand
        fields = ("name", "slug")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            dry_run(self, lambda: _save_brand(self.instance, data))
        return data


def _save_brand(instance: Brand, data: dict[str, Any]) -> Brand:
    if instance._state.adding:
        return services.brand_create(name=data["name"], slug=data.get("slug") or None)
    return services.brand_update(brand_id=instance.pk, name=data["name"], slug=data["slug"])


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    form = BrandForm
    list_display = ("name", "slug", "updated_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def save_model(self, request: HttpRequest, obj: Brand, form: Any, change: bool) -> None:
        saved = _save_brand(obj, form.cleaned_data)
        obj.pk = saved.pk
        obj.refresh_from_db()


# --- product types and attributes ------------------------------------------------------


class AttributeForm(forms.ModelForm):
    allowed_values = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 30}),
        help_text="Choice attributes: one value per line.",
    )

    class Meta:
        model = Attribute
        fields = (
            "code",
            "name",
            "kind",
            "scope",
            "allowed_values",
            "unit",
            "is_required",
            "position",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.instance._state.adding:
            # stored values depend on them
            for name in ("code", "kind", "scope"):
                self.fields[name].disabled = True
        self.initial["allowed_values"] = "\n".join(self.instance.allowed_values or [])

    def clean_allowed_values(self) -> list[str]:
        raw = self.cleaned_data.get("allowed_values") or ""
        return [line.strip() for line in raw.splitlines() if line.strip()]


class AttributeFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.instance._state.adding:
            return
        dry_run_rows(self, _save_attribute)


def _save_attribute(product_type: ProductType, form: forms.ModelForm) -> Attribute:
    data = form.cleaned_data
    if form.instance._state.adding:
        return services.attribute_create(
            product_type_id=product_type.pk,
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            scope=data["scope"],
            allowed_values=data.get("allowed_values") or [],
            unit=data.get("unit") or "",
            is_required=data.get("is_required", False),
            position=data.get("position") or 0,
        )
    return services.attribute_update(
        attribute_id=form.instance.pk,
        name=data["name"],
        allowed_values=data.get("allowed_values") or [],
        unit=data.get("unit") or "",
        is_required=data.get("is_required", False),
        position=data.get("position") or 0,
    )


class AttributeInline(admin.TabularInline):
    model = Attribute
    form = AttributeForm
    formset = AttributeFormSet
    extra = 1
    can_delete = False  # products' stored values would be orphaned


class ProductTypeForm(forms.ModelForm):
    class Meta:
        model = ProductType
        fields = ("name", "slug")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            dry_run(self, lambda: _save_product_type(self.instance, data))
        return data


def _save_product_type(instance: ProductType, data: dict[str, Any]) -> ProductType:
    if instance._state.adding:
        return services.product_type_create(name=data["name"], slug=data.get("slug") or None)
    return services.product_type_update(
        product_type_id=instance.pk, name=data["name"], slug=data["slug"]
    )


@admin.register(ProductType)
class ProductTypeAdmin(admin.ModelAdmin):
    form = ProductTypeForm
    list_display = ("name", "slug", "updated_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (AttributeInline,)

    def get_inlines(self, request: HttpRequest, obj: ProductType | None) -> Any:
        return self.inlines if obj is not None else ()  # attributes once the type exists

    def save_model(self, request: HttpRequest, obj: ProductType, form: Any, change: bool) -> None:
        saved = _save_product_type(obj, form.cleaned_data)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        _start_formset(formset)
        for inline_form in formset.forms:
            if inline_form.cleaned_data and inline_form.has_changed():
                adding = inline_form.instance._state.adding
                saved = _save_attribute(form.instance, inline_form)
                _record(formset, inline_form, saved, adding)


# --- products -------------------------------------------------------------------------


class VariantForm(forms.ModelForm):
    class Meta:
        model = Variant
        fields = ("sku", "name", "attributes", "is_active", "position")


class VariantFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        dry_run_rows(self, _save_variant)


def _save_variant(product: Product, form: forms.ModelForm) -> Variant:
    data = form.cleaned_data
    if form.instance._state.adding:
        variant = services.variant_create(
            product_id=product.pk,
            sku=data["sku"],
            name=data.get("name") or "",
            attributes=data.get("attributes") or {},
            is_active=data.get("is_active", True),
        )
        if data.get("position") is not None:
            variant = services.variant_update(variant_id=variant.pk, position=data["position"])
        return variant
    return services.variant_update(
        variant_id=form.instance.pk,
        sku=data["sku"],
        name=data.get("name") or "",
        attributes=data.get("attributes") or {},
        is_active=data.get("is_active", True),
        position=data.get("position") or 0,
    )


class VariantInline(admin.TabularInline):
    model = Variant
    form = VariantForm
    formset = VariantFormSet
    extra = 1
    can_delete = False  # listings refer to variants: deactivate instead, or merge products


class ImageForm(forms.ModelForm):
    upload = forms.FileField(required=False, help_text="JPEG, PNG or WebP.")

    class Meta:
        model = ProductImage
        fields = ("alt_text", "position")

    def clean_upload(self) -> Any:
        upload = self.cleaned_data.get("upload")
        if upload is not None:
            try:
                services.image_validate(file=upload)
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from None
        elif self.instance._state.adding and self.has_changed():
            raise forms.ValidationError("Choose an image file.", code="required")
        return upload


class ImageInline(admin.TabularInline):
    model = ProductImage
    form = ImageForm
    extra = 1
    fields = ("preview", "upload", "alt_text", "position", "width", "height")
    readonly_fields = ("preview", "width", "height")

    @admin.display(description="image")
    def preview(self, obj: ProductImage) -> str:
        if not obj.pk or not obj.thumbnail:
            return "-"
        return format_html('<img src="{}" alt="" style="max-height:64px">', obj.thumbnail.url)


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ("name", "slug", "description", "brand", "category", "product_type", "attributes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding and "product_type" in self.fields:
            self.fields["product_type"].disabled = True  # variants' values depend on it

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            dry_run(self, lambda: _save_product(self.instance, data))
        return data


def _save_product(instance: Product, data: dict[str, Any]) -> Product:
    brand = data.get("brand")
    if instance._state.adding:
        return services.product_create(
            name=data["name"],
            slug=data.get("slug") or None,
            description=data.get("description") or "",
            brand_id=brand.pk if brand else None,
            category_id=data["category"].pk,
            product_type_id=data["product_type"].pk,
            attributes=data.get("attributes") or {},
        )
    return services.product_update(
        product_id=instance.pk,
        name=data["name"],
        slug=data["slug"],
        description=data.get("description") or "",
        brand_id=brand.pk if brand else None,
        category_id=data["category"].pk,
        attributes=data.get("attributes") or {},
    )


class OriginFilter(admin.SimpleListFilter):
    title = "origin"
    parameter_name = "origin"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("vendor", "Proposed by a vendor"), ("staff", "Created by staff")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        if self.value() == "vendor":
            return queryset.filter(proposed_by_vendor_id__isnull=False)
        if self.value() == "staff":
            return queryset.filter(proposed_by_vendor_id__isnull=True)
        return queryset


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        queryset=Product.objects.none(), widget=forms.RadioSelect, empty_label=None
    )


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    list_display = ("name", "status", "brand", "category", "product_type", "updated_at")
    list_filter = ("status", OriginFilter, "product_type", "brand", "category")
    list_select_related = ("brand", "category", "product_type")
    search_fields = ("name", "slug", "variants__sku")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = (
        "status",
        "published_at",
        "proposed_by_vendor_id",
        "merged_into",
        "created_at",
        "updated_at",
    )
    inlines = (VariantInline, ImageInline)
    actions = ("publish_selected", "unpublish_selected", "merge_duplicates")

    def get_inlines(self, request: HttpRequest, obj: Product | None) -> Any:
        return self.inlines if obj is not None else ()  # variants once the type is fixed

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False  # listings refer to variants: unpublish, or merge into another product

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        saved = _save_product(obj, form.cleaned_data)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        product = form.instance
        _start_formset(formset)
        if formset.model is Variant:
            for variant_form in formset.forms:
                if variant_form.cleaned_data and variant_form.has_changed():
                    adding = variant_form.instance._state.adding
                    _record(formset, variant_form, _save_variant(product, variant_form), adding)
            return
        for image_form in formset.forms:
            data = image_form.cleaned_data
            if not data:
                continue
            if data.get("DELETE") and not image_form.instance._state.adding:
                services.product_image_delete(image_id=image_form.instance.pk)
                formset.deleted_objects.append(image_form.instance)
            elif image_form.instance._state.adding and data.get("upload") is not None:
                image = services.product_image_add(
                    product_id=product.pk, file=data["upload"], alt_text=data.get("alt_text") or ""
                )
                if data.get("position"):
                    image = services.product_image_update(
                        image_id=image.pk, position=data["position"]
                    )
                _record(formset, image_form, image, True)
            elif not image_form.instance._state.adding and image_form.has_changed():
                image = services.product_image_update(
                    image_id=image_form.instance.pk,
                    alt_text=data.get("alt_text") or "",
                    position=data.get("position") or 0,
                )
                _record(formset, image_form, image, False)

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Product],
        call: Callable[[uuid.UUID], object],
        verb: str,
    ) -> None:
        done = 0
        for product in queryset:
            try:
                with transaction.atomic():
                    call(product.pk)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{product.name}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{verb} {done} product(s).", messages.SUCCESS)

    @admin.action(description="Publish selected products", permissions=["change"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._each(
            request, queryset, lambda pk: services.product_publish(product_id=pk), "Published"
        )

    @admin.action(description="Unpublish selected products", permissions=["change"])
    def unpublish_selected(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._each(
            request, queryset, lambda pk: services.product_unpublish(product_id=pk), "Unpublished"
        )

    @admin.action(description="Merge selected duplicates into one…", permissions=["change"])
    def merge_duplicates(
        self, request: HttpRequest, queryset: QuerySet[Product]
    ) -> HttpResponse | None:
        products = list(queryset.select_related("brand", "category", "product_type"))
        if len(products) < 2:
            self.message_user(request, "Select at least two products to merge.", messages.WARNING)
            return None
        form = MergeForm(request.POST if request.POST.get("post") else None)
        form.fields["target"].queryset = queryset  # type: ignore[attr-defined]
        if form.is_bound and form.is_valid():
            target: Product = form.cleaned_data["target"]
            try:
                result = services.products_merge(
                    target_product_id=target.pk,
                    duplicate_product_ids=[p.pk for p in products if p.pk != target.pk],
                )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return None
            self.message_user(
                request,
                f"Merged {len(result.merged_product_ids)} product(s) into {target.name}.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge duplicate products",
            "opts": self.model._meta,
            "products": products,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/catalog/product/merge_duplicates.html", context)
