"""Plans, their prices, vendor subscriptions, the charges billed for them, usage.

A vendor is referenced by its UUID (the vendors context owns vendors); a payment by
the payments context's payment id. Amounts are integers in minor units.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from bazaar_platform.currencies import is_currency

#: No plan costs more than this per period (10 million in major units of a
#: two-decimal currency): a typo such as an extra six zeros is refused, not billed.
MAX_PRICE_MINOR = 1_000_000_000
MAX_LIMIT = 10_000_000
#: Commission rates are basis points of a vendor order's gross: 10_000 is 100 %.
MAX_COMMISSION_BP = 10_000


def validate_currency(value: str) -> None:
    if not is_currency(value):
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code.", code="currency")


class BillingPeriod(models.TextChoices):
    MONTH = "month", "Monthly"
    YEAR = "year", "Yearly"


class Resource(models.TextChoices):
    """What a plan limits (the ``resource`` of ``limit_check``)."""

    PRODUCTS = "products", "Products"
    STORES = "stores", "Stores"
    STAFF_SEATS = "staff_seats", "Staff seats"
    API_REQUESTS_PER_MINUTE = "api_requests_per_minute", "API requests per minute"


class Plan(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    billing_period = models.CharField(
        max_length=8, choices=BillingPeriod.choices, default=BillingPeriod.MONTH
    )
    trial_days = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(365)], help_text="0: no trial."
    )
    max_products = models.PositiveIntegerField(validators=[MaxValueValidator(MAX_LIMIT)])
    max_stores = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LIMIT)]
    )
    max_staff_seats = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LIMIT)],
        help_text="Members of the vendor, the owner included.",
    )
    api_requests_per_minute = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LIMIT)]
    )
    commission_rate_bp = models.PositiveIntegerField(
        default=1_000,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_COMMISSION_BP)],
        help_text="Platform commission on each paid vendor order, in basis points (1000 = 10 %).",
    )
    is_active = models.BooleanField(default=True, help_text="Offered to new subscribers.")
    sort_order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_rate_bp__gte=0)
                & Q(commission_rate_bp__lte=MAX_COMMISSION_BP),
                name="plan_commission_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def limit_of(self, resource: str) -> int:
        return int(
            {
                Resource.PRODUCTS: self.max_products,
                Resource.STORES: self.max_stores,
                Resource.STAFF_SEATS: self.max_staff_seats,
                Resource.API_REQUESTS_PER_MINUTE: self.api_requests_per_minute,
            }[Resource(resource)]
        )


class PlanPrice(models.Model):
    """The price of one billing period of a plan in one currency (0 for a free plan)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3, validators=[validate_currency])
    amount_minor = models.BigIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(MAX_PRICE_MINOR)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "currency"], name="plan_price_currency_uniq"),
            models.CheckConstraint(
                condition=Q(amount_minor__gte=0) & Q(amount_minor__lte=MAX_PRICE_MINOR),
                name="plan_price_amount_range",
            ),
        ]
        ordering = ["plan", "currency"]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.amount_minor} {self.currency}"


class SubscriptionStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Pending payment"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due (grace period)"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


LIVE_STATUSES = (
    SubscriptionStatus.PENDING_PAYMENT,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
)


class Subscription(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vendor_id = models.UUIDField(db_index=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    currency = models.CharField(max_length=3, validators=[validate_currency])
    amount_minor = models.BigIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(MAX_PRICE_MINOR)],
        help_text="Price per period, fixed when the plan was chosen.",
    )
    status = models.CharField(
        max_length=16,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.PENDING_PAYMENT,
    )
    billing_email = models.EmailField()
    billing_user_id = models.UUIDField(
        null=True, blank=True, help_text="The account that pays (sees the payments)."
    )
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    grace_until = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    scheduled_plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A downgrade taking effect at the end of the current period.",
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # At most one live subscription per vendor.
            models.UniqueConstraint(
                fields=["vendor_id"],
                condition=Q(status__in=[s.value for s in LIVE_STATUSES]),
                name="subscription_one_live_per_vendor",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gte=0), name="subscription_amount_non_negative"
            ),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.plan.code} ({self.status}) for vendor {self.vendor_id}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class ChargeKind(models.TextChoices):
    INITIAL = "initial", "First period"
    RENEWAL = "renewal", "Renewal"
    UPGRADE = "upgrade", "Upgrade (prorated)"


class ChargeStatus(models.TextChoices):
    OPEN = "open", "Awaiting payment"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class Charge(models.Model):
    """An amount the vendor owes for its subscription, paid through payment links.

    A payment link is created per attempt (``attempt``): a failed payment or an
    expired link is followed by a fresh link, never by reusing a dead one. The
    payments context refers back to the charge with ``reference_id = charge.id``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="charges")
    kind = models.CharField(max_length=16, choices=ChargeKind.choices)
    status = models.CharField(max_length=8, choices=ChargeStatus.choices, default=ChargeStatus.OPEN)
    amount_minor = models.BigIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PRICE_MINOR)]
    )
    currency = models.CharField(max_length=3, validators=[validate_currency])
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="+", help_text="The plan this charge buys."
    )
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    attempt = models.PositiveIntegerField(default=0, help_text="Payment links created so far.")
    payment_id = models.UUIDField(null=True, blank=True, help_text="The latest payment link's id.")
    payment_url = models.URLField(max_length=1000, blank=True)
    payment_failed = models.BooleanField(
        default=False, help_text="The latest payment failed: the next checkout makes a new link."
    )
    paid_payment_id = models.UUIDField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="charge_amount_positive"),
            # One open charge of a kind per subscription (no double billing).
            models.UniqueConstraint(
                fields=["subscription", "kind"],
                condition=Q(status="open"),
                name="charge_one_open_per_kind",
            ),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_minor} {self.currency} ({self.status})"


class VendorUsage(models.Model):
    """How much of each limited resource a vendor uses: a read model fed by the events of
    the contexts that own the resources (vendors: stores and staff; catalog: products)."""

    vendor_id = models.UUIDField()
    resource = models.CharField(max_length=32, choices=Resource.choices)
    count = models.PositiveIntegerField(default=0)
    as_of = models.DateTimeField(help_text="When the count was true (the event's time).")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vendor_id", "resource"], name="usage_vendor_resource")
        ]

    def __str__(self) -> str:
        return f"{self.vendor_id} {self.resource}={self.count}"
