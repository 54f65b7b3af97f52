"""Vendors, their stores and their staff; the onboarding saga's record.

Users are referenced by UUID (the auth context owns them), subscriptions by UUID (the
subscriptions context owns them).
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from bazaar_platform.currencies import is_currency


def validate_currency(value: str) -> None:
    if not is_currency(value):
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code.", code="currency")


country_code = RegexValidator(r"^[A-Z]{2}$", "An ISO 3166-1 alpha-2 code such as FR.")
slug_format = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$",
    "3-50 lower-case letters, digits and hyphens, not starting or ending with a hyphen.",
)


class VendorStatus(models.TextChoices):
    PENDING = "pending", "Pending (subscription not active yet)"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class Vendor(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    legal_name = models.CharField(max_length=200)
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=32, blank=True)
    owner_user_id = models.UUIDField(db_index=True)
    status = models.CharField(
        max_length=16, choices=VendorStatus.choices, default=VendorStatus.PENDING
    )
    status_reason = models.CharField(max_length=64, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["legal_name"]

    def __str__(self) -> str:
        return self.legal_name


class OpeningState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


def logo_path(instance: Store, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"vendors/logos/{instance.vendor_id}/{instance.pk}-{uuid.uuid4().hex[:8]}.{ext}"


class Store(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="stores")
    name = models.CharField(max_length=120)
    slug = models.CharField(max_length=50, unique=True, validators=[slug_format])
    description = models.TextField(blank=True, max_length=5000)
    logo = models.ImageField(upload_to=logo_path, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, validators=[country_code])
    currency = models.CharField(max_length=3, validators=[validate_currency])
    opening_state = models.CharField(
        max_length=8, choices=OpeningState.choices, default=OpeningState.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    STAFF = "staff", "Staff"


class VendorMember(models.Model):
    """A user working for a vendor. A user belongs to at most one vendor."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="members")
    user_id = models.UUIDField(unique=True)
    email = models.EmailField(help_text="Copied from the account for display.")
    role = models.CharField(max_length=8, choices=MemberRole.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor"], condition=Q(role="owner"), name="vendor_one_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"


class OnboardingStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    INTERRUPTED = "interrupted", "Interrupted (retry with the same key resumes)"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed (compensated; use a new key)"


class OnboardingStep(models.TextChoices):
    """The saga's steps in order; ``step`` records the last one done."""

    STARTED = "started", "Started"
    USER = "user", "Account created or found"
    ROLE = "role", "Vendor role granted"
    VENDOR = "vendor", "Vendor and store created"
    SUBSCRIPTION = "subscription", "Subscription created"
    PAYMENT = "payment", "Payment link created"


class Onboarding(models.Model):
    """One vendor registration: the idempotency record of ``POST /vendors/register``
    (key, request hash, stored response) and the saga's progress (the ids each step
    created), so a retry with the same key resumes where the last attempt stopped."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    idempotency_key = models.CharField(max_length=255, unique=True)
    request_hash = models.CharField(max_length=64)
    principal_user_id = models.UUIDField(
        null=True, blank=True, help_text="The authenticated caller, if any."
    )
    email = models.EmailField()
    plan_code = models.CharField(max_length=32)
    status = models.CharField(
        max_length=16, choices=OnboardingStatus.choices, default=OnboardingStatus.IN_PROGRESS
    )
    step = models.CharField(
        max_length=16, choices=OnboardingStep.choices, default=OnboardingStep.STARTED
    )
    user_step_started = models.BooleanField(default=False)
    lease_until = models.DateTimeField(null=True, blank=True)
    user_id = models.UUIDField(null=True, blank=True)
    vendor_id = models.UUIDField(null=True, blank=True)
    store_id = models.UUIDField(null=True, blank=True)
    subscription_id = models.UUIDField(null=True, blank=True)
    payment_id = models.UUIDField(null=True, blank=True)
    payment_url = models.URLField(max_length=1000, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    error_step = models.CharField(max_length=16, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"onboarding {self.pk} ({self.status}, at {self.step})"


# --- listings and stock -------------------------------------------------------------------------
class ListingCondition(models.TextChoices):
    NEW = "new", "New"
    USED = "used", "Used"
    REFURBISHED = "refurbished", "Refurbished"


class ListingStatus(models.TextChoices):
    ACTIVE = "active", "Active (on sale)"
    INACTIVE = "inactive", "Inactive (hidden by the vendor)"


class Listing(models.Model):
    """A store's offer of one catalogue variant: its price, condition and stock.

    The product and variant are the catalog context's ids (no foreign key across
    contexts). ``on_hand`` and ``reserved`` are the running totals of the listing's
    stock movements, updated in the same transaction as the movement that explains them.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="listings")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="listings")
    product_id = models.UUIDField(db_index=True)
    variant_id = models.UUIDField(db_index=True)
    sku = models.CharField(max_length=64, blank=True, help_text="The vendor's own SKU.")
    title = models.CharField(max_length=400, help_text="Product and variant names when listed.")
    price_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, validators=[validate_currency])
    condition = models.CharField(
        max_length=12, choices=ListingCondition.choices, default=ListingCondition.NEW
    )
    status = models.CharField(
        max_length=8, choices=ListingStatus.choices, default=ListingStatus.ACTIVE
    )
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    low_stock_threshold = models.PositiveIntegerField(
        default=5, help_text="vendors.stock_low is published when available falls to this."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "variant_id", "condition"], name="listing_one_per_variant"
            ),
            models.CheckConstraint(condition=Q(price_minor__gt=0), name="listing_price_positive"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="listing_on_hand_gte_0"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="listing_reserved_gte_0"),
            models.CheckConstraint(
                condition=Q(reserved__lte=models.F("on_hand")),
                name="listing_reserved_lte_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.condition})"

    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved, 0)


class MovementKind(models.TextChoices):
    RECEIVED = "received", "Received"
    ADJUSTED = "adjusted", "Adjusted"
    RESERVED = "reserved", "Reserved"
    RELEASED = "released", "Released"
    SOLD = "sold", "Sold"
    RETURNED = "returned", "Returned"


class StockMovement(models.Model):
    """One change of a listing's stock. ``on_hand_delta`` / ``reserved_delta`` summed
    over a listing's movements give its ``on_hand`` / ``reserved``."""

    id = models.BigAutoField(primary_key=True)
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="movements")
    kind = models.CharField(max_length=10, choices=MovementKind.choices)
    on_hand_delta = models.IntegerField(default=0)
    reserved_delta = models.IntegerField(default=0)
    on_hand_after = models.IntegerField()
    reserved_after = models.IntegerField()
    reason = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=120, blank=True)
    actor_user_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "reference"],
                condition=Q(kind="returned"),
                name="movement_one_return_per_reference",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.on_hand_delta:+d}/{self.reserved_delta:+d}"


class ReservationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMMITTED = "committed", "Committed (sold)"
    RELEASED = "released", "Released"
    EXPIRED = "expired", "Expired"


class Reservation(models.Model):
    """Stock held for a pending checkout, named by the caller's ``reference``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=120, unique=True)
    status = models.CharField(
        max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.ACTIVE
    )
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(status="active"),
                name="reservation_active_expiry",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"


class ReservationLine(models.Model):
    id = models.BigAutoField(primary_key=True)
    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="lines")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reservation", "listing"], name="reservation_line_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.listing_id}"
