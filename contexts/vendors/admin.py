"""Admin of the vendors context.

* ``/admin/`` (staff): every vendor, store, member and onboarding record.
* ``/vendor-admin/`` (vendors): a vendor's own profile, stores, staff, listings and stock
  only —
  querysets are filtered by the logged-in user's membership and every permission is
  decided by the member's role (:class:`bazaar_platform.vendor_admin.VendorScopedAdmin`).
  Writes go through the services, so plan limits, slug checks, logo checks and
  events apply exactly as in the API.
"""

from __future__ import annotations

from typing import Any, NoReturn
from uuid import UUID

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.vendor_admin import (
    ROLE_OWNER,
    VendorScopedAdmin,
    membership_of,
    vendor_admin_site,
)
from contexts.subscriptions import facade as subscriptions
from contexts.vendors.models import (
    Listing,
    ListingCondition,
    ListingStatus,
    MovementKind,
    Onboarding,
    Reservation,
    ReservationLine,
    StockMovement,
    Store,
    Vendor,
    VendorMember,
    VendorStatus,
)
from contexts.vendors.services import listings as listing_services
from contexts.vendors.services import stock as stock_services
from contexts.vendors.services import stores as store_services
from contexts.vendors.services.logos import logo_check
from contexts.vendors.services.staff import staff_remove, staff_role_change
from contexts.vendors.services.vendors import StoreInput, vendor_update

STORE_FIELDS = (
    "name",
    "slug",
    "description",
    "logo",
    "opening_state",
    "currency",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "region",
    "country",
)


# --- staff admin (/admin/) ---------------------------------------------------------------------
class StoreInline(admin.TabularInline):
    model = Store
    extra = 0
    fields = ("name", "slug", "currency", "opening_state")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class MemberInline(admin.TabularInline):
    model = VendorMember
    extra = 0
    fields = ("email", "user_id", "role", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("legal_name", "status", "status_reason", "contact_email", "created_at")
    list_filter = ("status",)
    search_fields = ("legal_name", "contact_email", "id", "owner_user_id")
    readonly_fields = ("id", "owner_user_id", "activated_at", "created_at", "updated_at")
    inlines = (StoreInline, MemberInline)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "vendor", "currency", "opening_state", "created_at")
    list_filter = ("opening_state", "currency")
    search_fields = ("name", "slug", "vendor__legal_name")
    list_select_related = ("vendor",)
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(VendorMember)
class VendorMemberAdmin(admin.ModelAdmin):
    list_display = ("email", "role", "vendor", "created_at")
    list_filter = ("role",)
    search_fields = ("email", "user_id", "vendor__legal_name")
    list_select_related = ("vendor",)


@admin.register(Onboarding)
class OnboardingAdmin(admin.ModelAdmin):
    list_display = ("id", "email", "plan_code", "status", "step", "error_code", "created_at")
    list_filter = ("status", "step")
    search_fields = ("email", "idempotency_key", "vendor_id", "user_id")
    exclude = ("request_hash",)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [f.name for f in Onboarding._meta.fields if f.name != "request_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# --- vendor admin (/vendor-admin/) --------------------------------------------------------------
def _vendor_id(request: HttpRequest) -> UUID:
    membership = membership_of(request)
    assert membership is not None  # the site admits members only
    return membership.vendor_id


def _as_validation_error(exc: ApplicationError) -> ValidationError:
    return ValidationError(exc.message)


class VendorStoreForm(forms.ModelForm):
    vendor_id: UUID | None = None  # set per request by VendorStoreAdmin.get_form

    class Meta:
        model = Store
        fields = STORE_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.instance._state.adding and self.vendor_id is not None:
            try:
                subscriptions.limit_check(
                    vendor_id=self.vendor_id,
                    resource="stores",
                    current_count=Store.objects.filter(vendor_id=self.vendor_id).count(),
                )
            except ApplicationError as exc:
                raise _as_validation_error(exc) from None
        return cleaned

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "size") and "logo" in self.changed_data:
            try:
                logo_check(logo, size=logo.size)
            except ApplicationError as exc:
                raise _as_validation_error(exc) from None
        return logo


@admin.register(Store, site=vendor_admin_site)
class VendorStoreAdmin(VendorScopedAdmin):
    form = VendorStoreForm
    list_display = ("name", "slug", "currency", "opening_state", "updated_at")
    search_fields = ("name", "slug")
    readonly_fields = ("created_at", "updated_at")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"vendor_id": _vendor_id(request)})

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        membership = membership_of(request)
        return (
            super().has_add_permission(request)
            and membership is not None
            and getattr(membership, "vendor_status", VendorStatus.ACTIVE) == VendorStatus.ACTIVE
        )

    def save_model(self, request: HttpRequest, obj: Store, form: Any, change: bool) -> None:
        vendor_id = _vendor_id(request)
        data = {k: form.cleaned_data.get(k) for k in STORE_FIELDS if k != "logo"}
        logo_changed = "logo" in form.changed_data
        try:
            if not change:
                store = store_services.store_create(
                    vendor_id=vendor_id,
                    data=StoreInput(**{k: v or "" for k, v in data.items()}),
                )
                obj.pk = store.pk
                obj._state.adding = False
            else:
                changed = {k: v or "" for k, v in data.items() if k in form.changed_data}
                store_services.store_update(vendor_id=vendor_id, store_id=obj.pk, changes=changed)
            if logo_changed:
                logo = form.cleaned_data.get("logo")
                if logo:
                    store_services.store_logo_set(
                        vendor_id=vendor_id, store_id=obj.pk, file=logo, size=logo.size
                    )
                else:
                    store_services.store_logo_clear(vendor_id=vendor_id, store_id=obj.pk)
            obj.refresh_from_db()
        except ApplicationError as exc:
            # The admin has no error path after validation; the message says what failed.
            messages.error(request, exc.message)
            raise _RefusedError(exc.message) from exc

    def delete_model(self, request: HttpRequest, obj: Store) -> None:
        store_services.store_delete(vendor_id=_vendor_id(request), store_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Store]) -> None:
        vendor_id = _vendor_id(request)
        for store_id in queryset.values_list("pk", flat=True):
            store_services.store_delete(vendor_id=vendor_id, store_id=store_id)

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().add_view(request, *args, **kwargs)
        except _RefusedError:
            return self._refused(request)

    def change_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().change_view(request, *args, **kwargs)
        except _RefusedError:
            return self._refused(request)

    def _refused(self, request: HttpRequest) -> Any:
        from django.http import HttpResponseRedirect
        from django.urls import reverse

        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:vendors_store_changelist"))


class _RefusedError(Exception):
    pass


@admin.register(Vendor, site=vendor_admin_site)
class VendorProfileAdmin(VendorScopedAdmin):
    vendor_lookup = "id"
    fields = ("legal_name", "contact_email", "contact_phone", "status", "activated_at")
    readonly_fields = ("status", "activated_at")
    list_display = ("legal_name", "status", "contact_email")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Vendor, form: Any, change: bool) -> None:
        vendor_update(
            vendor_id=_vendor_id(request),
            legal_name=form.cleaned_data.get("legal_name"),
            contact_email=form.cleaned_data.get("contact_email"),
            contact_phone=form.cleaned_data.get("contact_phone") or "",
        )


@admin.register(VendorMember, site=vendor_admin_site)
class VendorStaffAdmin(VendorScopedAdmin):
    fields = ("email", "role", "created_at")
    readonly_fields = ("email", "created_at")
    list_display = ("email", "role", "created_at")
    change_roles = frozenset({ROLE_OWNER})
    delete_roles = frozenset({ROLE_OWNER})

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # members are invited through the API (an e-mail to the new member)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if isinstance(obj, VendorMember) and obj.role == ROLE_OWNER:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if isinstance(obj, VendorMember) and obj.role == ROLE_OWNER:
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role":
            kwargs["choices"] = [("manager", "Manager"), ("staff", "Staff")]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: VendorMember, form: Any, change: bool) -> None:
        staff_role_change(
            vendor_id=_vendor_id(request), member_id=obj.pk, role=form.cleaned_data["role"]
        )

    def delete_model(self, request: HttpRequest, obj: VendorMember) -> None:
        staff_remove(vendor_id=_vendor_id(request), member_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[VendorMember]) -> None:
        vendor_id = _vendor_id(request)
        for member_id in queryset.exclude(role=ROLE_OWNER).values_list("pk", flat=True):
            staff_remove(vendor_id=vendor_id, member_id=member_id)


# --- listings and stock, staff admin (/admin/): read-only, the ledger is written by services ----
class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class MovementInline(admin.TabularInline):
    model = StockMovement
    extra = 0
    can_delete = False
    ordering = ("-id",)
    fields = (
        "created_at",
        "kind",
        "on_hand_delta",
        "reserved_delta",
        "on_hand_after",
        "reserved_after",
        "reason",
        "reference",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Listing)
class ListingAdmin(_ReadOnlyAdmin):
    list_display = (
        "title",
        "store",
        "price_minor",
        "currency",
        "condition",
        "status",
        "on_hand",
        "reserved",
        "updated_at",
    )
    list_filter = ("status", "condition", "currency")
    search_fields = ("title", "sku", "=id", "=product_id", "=variant_id", "store__name")
    list_select_related = ("store",)
    inlines = [MovementInline]


@admin.register(StockMovement)
class StockMovementAdmin(_ReadOnlyAdmin):
    list_display = (
        "created_at",
        "listing",
        "kind",
        "on_hand_delta",
        "reserved_delta",
        "on_hand_after",
        "reference",
    )
    list_filter = ("kind",)
    search_fields = ("reference", "=listing__id", "listing__title")
    list_select_related = ("listing",)


class ReservationLineInline(admin.TabularInline):
    model = ReservationLine
    extra = 0
    can_delete = False
    fields = ("listing", "quantity")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Reservation)
class ReservationAdmin(_ReadOnlyAdmin):
    list_display = ("reference", "status", "expires_at", "created_at")
    list_filter = ("status",)
    search_fields = ("reference",)
    inlines = [ReservationLineInline]


# --- listings and stock, vendor admin (/vendor-admin/) -------------------------------------------
class _ServiceWriteAdmin(VendorScopedAdmin):
    """Writes go through the services; their refusals come back as an error message."""

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().add_view(request, *args, **kwargs)
        except _RefusedError:
            return self._back(request)

    def change_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().change_view(request, *args, **kwargs)
        except _RefusedError:
            return self._back(request)

    def _back(self, request: HttpRequest) -> Any:
        from django.http import HttpResponseRedirect
        from django.urls import reverse

        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        )

    def _refuse(self, request: HttpRequest, exc: ApplicationError) -> NoReturn:
        messages.error(request, exc.message)
        raise _RefusedError(exc.message) from exc


class VendorListingForm(forms.ModelForm):
    vendor_id: UUID | None = None  # set per request by VendorListingAdmin.get_form
    variant_id = forms.UUIDField(help_text="The catalogue variant's id.")
    initial_stock = forms.IntegerField(min_value=0, max_value=1_000_000, initial=0, required=False)

    class Meta:
        model = Listing
        fields = (
            "store",
            "variant_id",
            "price_minor",
            "currency",
            "condition",
            "status",
            "sku",
            "low_stock_threshold",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "store" in self.fields:
            store_field = self.fields["store"]
            if isinstance(store_field, forms.ModelChoiceField):
                store_field.queryset = (
                    Store.objects.filter(vendor_id=self.vendor_id)
                    if self.vendor_id
                    else Store.objects.none()
                )


class VendorListingChangeForm(forms.ModelForm):
    class Meta:
        model = Listing
        fields = ("price_minor", "condition", "status", "sku", "low_stock_threshold")


@admin.register(Listing, site=vendor_admin_site)
class VendorListingAdmin(_ServiceWriteAdmin):
    list_display = (
        "title",
        "store",
        "price_minor",
        "currency",
        "condition",
        "status",
        "on_hand",
        "reserved",
        "available",
    )
    list_filter = ("status", "condition")
    search_fields = ("title", "sku")
    list_select_related = ("store",)
    readonly_fields = (
        "title",
        "store",
        "product_id",
        "variant_id",
        "currency",
        "on_hand",
        "reserved",
        "available",
        "created_at",
        "updated_at",
    )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = VendorListingForm
            kwargs["fields"] = [*VendorListingForm.Meta.fields, "initial_stock"]
            form = super().get_form(request, obj, change=change, **kwargs)
            return type(form.__name__, (form,), {"vendor_id": _vendor_id(request)})
        kwargs["form"] = VendorListingChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return () if obj is None else self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return [*VendorListingForm.Meta.fields, "initial_stock"]
        return [
            *self.readonly_fields[:5],
            *VendorListingChangeForm.Meta.fields,
            *self.readonly_fields[5:],
        ]

    def save_model(self, request: HttpRequest, obj: Listing, form: Any, change: bool) -> None:
        vendor_id = _vendor_id(request)
        data = form.cleaned_data
        try:
            if not change:
                listing = listing_services.listing_create(
                    vendor_id=vendor_id,
                    data=listing_services.ListingInput(
                        store_id=data["store"].pk,
                        variant_id=data["variant_id"],
                        price_minor=data["price_minor"],
                        currency=data["currency"],
                        condition=data.get("condition") or ListingCondition.NEW,
                        status=data.get("status") or ListingStatus.ACTIVE,
                        sku=data.get("sku") or "",
                        low_stock_threshold=data.get("low_stock_threshold") or 0,
                        initial_stock=data.get("initial_stock") or 0,
                    ),
                    actor_user_id=UUID(str(request.user.pk)),
                )
                obj.pk = listing.pk
                obj._state.adding = False
            else:
                changes = {k: data[k] for k in form.changed_data if k in data}
                listing_services.listing_update(
                    vendor_id=vendor_id, listing_id=obj.pk, changes=changes
                )
            obj.refresh_from_db()
        except ApplicationError as exc:
            self._refuse(request, exc)

    def delete_model(self, request: HttpRequest, obj: Listing) -> None:
        try:
            listing_services.listing_delete(vendor_id=_vendor_id(request), listing_id=obj.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        for listing in queryset:
            self.delete_model(request, listing)


class VendorMovementForm(forms.ModelForm):
    """Record goods received or a correction; the other kinds come from checkouts."""

    vendor_id: UUID | None = None
    kind = forms.ChoiceField(
        choices=[(MovementKind.RECEIVED, "Received"), (MovementKind.ADJUSTED, "Adjusted")]
    )
    quantity = forms.IntegerField(
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text="Units received (above 0), or the correction (+/-) for an adjustment.",
    )

    class Meta:
        model = StockMovement
        fields = ("listing", "kind", "quantity", "reason")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        listing_field = self.fields["listing"]
        if isinstance(listing_field, forms.ModelChoiceField):
            listing_field.queryset = (
                Listing.objects.filter(vendor_id=self.vendor_id)
                if self.vendor_id
                else Listing.objects.none()
            )


@admin.register(StockMovement, site=vendor_admin_site)
class VendorStockMovementAdmin(_ServiceWriteAdmin):
    vendor_lookup = "listing__vendor_id"
    add_roles = frozenset({"owner", "manager", "staff"})
    list_display = (
        "created_at",
        "listing",
        "kind",
        "on_hand_delta",
        "reserved_delta",
        "on_hand_after",
        "reason",
    )
    list_filter = ("kind",)
    search_fields = ("listing__title", "listing__sku", "reason")
    list_select_related = ("listing",)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = VendorMovementForm
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"vendor_id": _vendor_id(request)})

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: StockMovement, form: Any, change: bool) -> None:
        data = form.cleaned_data
        arguments = {
            "vendor_id": _vendor_id(request),
            "listing_id": data["listing"].pk,
            "reason": data.get("reason") or "",
            "actor_user_id": UUID(str(request.user.pk)),
        }
        try:
            if data["kind"] == MovementKind.RECEIVED:
                movement = stock_services.stock_receive(quantity=data["quantity"], **arguments)
            else:
                movement = stock_services.stock_adjust(delta=data["quantity"], **arguments)
        except ApplicationError as exc:
            self._refuse(request, exc)
        obj.pk = movement.pk
        obj._state.adding = False
