"""Input and output serializers of the vendors API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from bazaar_platform.currencies import is_currency
from contexts.vendors.models import (
    Listing,
    ListingCondition,
    ListingStatus,
    OpeningState,
    StockMovement,
    Store,
    Vendor,
    VendorMember,
)

#: Roles a member can be given (the owner is set at registration); the same list is
#: named VendorStaffRoleEnum in the OpenAPI schema (settings.SPECTACULAR_SETTINGS).
STAFF_ROLE_CHOICES = [("manager", "Manager"), ("staff", "Staff")]
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$"


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know: a misspelt field is a 400, never silently dropped."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class CurrencyField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_length=3, max_length=3, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not is_currency(value):
            raise serializers.ValidationError(
                f"{value!r} is not an ISO 4217 currency code (such as EUR, USD, JPY)."
            )
        return value


class StoreFieldsInput(StrictSerializer):
    name = serializers.CharField(max_length=120)
    slug = serializers.RegexField(
        SLUG_PATTERN,
        max_length=50,
        error_messages={
            "invalid": "3-50 lower-case letters, digits and hyphens, not starting or ending "
            "with a hyphen."
        },
    )
    currency = CurrencyField()
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    address_line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    country = serializers.RegexField(
        r"^[A-Z]{2}$",
        required=False,
        allow_blank=True,
        error_messages={"invalid": "An ISO 3166-1 alpha-2 code such as FR."},
    )


class StoreCreateInput(StoreFieldsInput):
    opening_state = serializers.ChoiceField(choices=OpeningState.choices, required=False)


class StoreUpdateInput(StoreCreateInput):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class VendorRegisterInput(StrictSerializer):
    email = serializers.EmailField(required=False, allow_blank=True)
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    password = serializers.CharField(
        max_length=128, required=False, write_only=True, trim_whitespace=False
    )
    legal_name = serializers.CharField(max_length=200)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    plan = serializers.SlugField(max_length=32)
    store = StoreFieldsInput()


class VendorUpdateInput(StrictSerializer):
    legal_name = serializers.CharField(max_length=200, required=False)
    contact_email = serializers.EmailField(required=False)
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class StaffAddInput(StrictSerializer):
    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=STAFF_ROLE_CHOICES)


class StaffRoleInput(StrictSerializer):
    role = serializers.ChoiceField(choices=STAFF_ROLE_CHOICES)


# --- outputs -----------------------------------------------------------------------------------
class VendorOutput(serializers.ModelSerializer):
    class Meta:
        model = Vendor
        fields = (
            "id",
            "legal_name",
            "contact_email",
            "contact_phone",
            "owner_user_id",
            "status",
            "status_reason",
            "activated_at",
            "created_at",
        )


class MyVendorOutput(serializers.Serializer):
    vendor = VendorOutput()
    role = serializers.CharField()


class StoreOutput(serializers.ModelSerializer):
    logo_url = serializers.SerializerMethodField()

    class Meta:
        model = Store
        fields = (
            "id",
            "vendor_id",
            "name",
            "slug",
            "description",
            "logo_url",
            "address_line1",
            "address_line2",
            "city",
            "postal_code",
            "region",
            "country",
            "currency",
            "opening_state",
            "created_at",
            "updated_at",
        )

    def get_logo_url(self, store: Store) -> str | None:
        return store.logo.url if store.logo else None


class MemberOutput(serializers.ModelSerializer):
    class Meta:
        model = VendorMember
        fields = ("id", "user_id", "email", "role", "created_at")


class RegisterStoreOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()
    currency = serializers.CharField()


class RegisterVendorOutput(serializers.Serializer):
    id = serializers.UUIDField()
    legal_name = serializers.CharField()
    status = serializers.CharField()


class RegisterSubscriptionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    plan = serializers.CharField()
    status = serializers.CharField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    current_period_end = serializers.DateTimeField(allow_null=True)


class RegisterPaymentOutput(serializers.Serializer):
    payment_id = serializers.UUIDField()
    url = serializers.URLField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()


class VendorRegisterOutput(serializers.Serializer):
    """Documentation of the registration answer (the saga builds the body)."""

    onboarding_id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    vendor = RegisterVendorOutput()
    store = RegisterStoreOutput()
    subscription = RegisterSubscriptionOutput(allow_null=True)
    payment = RegisterPaymentOutput(allow_null=True)
    next_action = serializers.ChoiceField(choices=["pay", "none"])


class LogoUploadInput(serializers.Serializer):
    logo = serializers.FileField()


# --- listings and stock -------------------------------------------------------------------------
class ListingCreateInput(StrictSerializer):
    store_id = serializers.UUIDField()
    variant_id = serializers.UUIDField()
    # Range checks (above 0) are the service's, so they answer with its error codes.
    price_minor = serializers.IntegerField()
    currency = CurrencyField()
    condition = serializers.ChoiceField(choices=ListingCondition.choices, required=False)
    status = serializers.ChoiceField(choices=ListingStatus.choices, required=False)
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True)
    low_stock_threshold = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)
    initial_stock = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)


class ListingUpdateInput(StrictSerializer):
    price_minor = serializers.IntegerField(required=False)
    currency = CurrencyField(required=False)
    condition = serializers.ChoiceField(choices=ListingCondition.choices, required=False)
    status = serializers.ChoiceField(choices=ListingStatus.choices, required=False)
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True)
    low_stock_threshold = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)


class ListingOutput(serializers.ModelSerializer):
    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = Listing
        fields = (
            "id",
            "store_id",
            "product_id",
            "variant_id",
            "sku",
            "title",
            "price_minor",
            "currency",
            "condition",
            "status",
            "on_hand",
            "reserved",
            "available",
            "low_stock_threshold",
            "created_at",
            "updated_at",
        )


class StockReceiveInput(StrictSerializer):
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class StockAdjustInput(StrictSerializer):
    delta = serializers.IntegerField(min_value=-1_000_000, max_value=1_000_000)
    reason = serializers.CharField(max_length=200)


class MovementOutput(serializers.ModelSerializer):
    class Meta:
        model = StockMovement
        fields = (
            "id",
            "kind",
            "on_hand_delta",
            "reserved_delta",
            "on_hand_after",
            "reserved_after",
            "reason",
            "reference",
            "actor_user_id",
            "created_at",
        )


class StockImportInput(serializers.Serializer):
    file = serializers.FileField(help_text="CSV: listing_id or sku, quantity, [mode], [reason].")


class StockImportOutput(serializers.Serializer):
    rows = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class RatingOutput(serializers.Serializer[Any]):
    average = serializers.FloatField()
    count = serializers.IntegerField()
    distribution = serializers.DictField(child=serializers.IntegerField())


class StorefrontVendorOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    rating = RatingOutput()


class StorefrontOutput(serializers.Serializer[Any]):
    """A store's public page: what a customer sees before buying from it."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField()
    logo_url = serializers.CharField(allow_null=True)
    city = serializers.CharField()
    country = serializers.CharField()
    currency = serializers.CharField()
    listings_on_sale = serializers.IntegerField()
    rating = RatingOutput()
    vendor = StorefrontVendorOutput()
