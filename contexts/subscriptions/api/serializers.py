"""Input and output serializers of the subscriptions API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from bazaar_platform.currencies import is_currency
from contexts.subscriptions.models import (
    MAX_COMMISSION_BP,
    MAX_LIMIT,
    MAX_PRICE_MINOR,
    BillingPeriod,
    Charge,
    Plan,
    Subscription,
)


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know: a misspelt field is a 400, never silently dropped."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class PricesField(serializers.DictField):
    """``{"EUR": 2900}``: ISO 4217 codes to whole minor units in [0, MAX_PRICE_MINOR]."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.IntegerField(min_value=0, max_value=MAX_PRICE_MINOR),
            allow_empty=False,
            **kwargs,
        )

    def to_internal_value(self, data: Any) -> dict[str, int]:
        if isinstance(data, dict):
            bad = [k for k in data if not is_currency(k)]
            if bad:
                raise serializers.ValidationError(
                    f"Not ISO 4217 currency codes: {', '.join(map(str, bad[:5]))}."
                )
            for value in data.values():
                if isinstance(value, bool) or not isinstance(value, int):
                    raise serializers.ValidationError(
                        "Prices are whole numbers of minor units (2900 for 29.00)."
                    )
        return dict(super().to_internal_value(data))


def _limit(minimum: int, **kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=minimum, max_value=MAX_LIMIT, **kwargs)


class PlanCreateInput(StrictSerializer):
    code = serializers.SlugField(max_length=32)
    name = serializers.CharField(max_length=80)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    billing_period = serializers.ChoiceField(choices=BillingPeriod.choices, default="month")
    trial_days = serializers.IntegerField(min_value=0, max_value=365, default=0)
    max_products = _limit(0)
    max_stores = _limit(1)
    max_staff_seats = _limit(1)
    api_requests_per_minute = _limit(1)
    commission_rate_bp = serializers.IntegerField(
        min_value=0, max_value=MAX_COMMISSION_BP, default=1_000
    )
    is_active = serializers.BooleanField(default=True)
    sort_order = serializers.IntegerField(min_value=0, max_value=32767, default=0)
    prices = PricesField()


class PlanUpdateInput(StrictSerializer):
    name = serializers.CharField(max_length=80, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    billing_period = serializers.ChoiceField(choices=BillingPeriod.choices, required=False)
    trial_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    max_products = _limit(0, required=False)
    max_stores = _limit(1, required=False)
    max_staff_seats = _limit(1, required=False)
    api_requests_per_minute = _limit(1, required=False)
    commission_rate_bp = serializers.IntegerField(
        min_value=0, max_value=MAX_COMMISSION_BP, required=False
    )
    is_active = serializers.BooleanField(required=False)
    sort_order = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    prices = PricesField(required=False)


class ChangePlanInput(StrictSerializer):
    plan = serializers.SlugField(max_length=32)


class PlanOutput(serializers.ModelSerializer):
    prices = serializers.SerializerMethodField()
    limits = serializers.SerializerMethodField()

    class Meta:
        model = Plan
        fields = (
            "code",
            "name",
            "description",
            "billing_period",
            "trial_days",
            "prices",
            "limits",
            "commission_rate_bp",
            "is_active",
        )

    def get_prices(self, plan: Plan) -> dict[str, int]:
        return {p.currency: p.amount_minor for p in plan.prices.all()}

    def get_limits(self, plan: Plan) -> dict[str, int]:
        return {
            "products": plan.max_products,
            "stores": plan.max_stores,
            "staff_seats": plan.max_staff_seats,
            "api_requests_per_minute": plan.api_requests_per_minute,
        }


class SubscriptionOutput(serializers.ModelSerializer):
    plan = serializers.CharField(source="plan.code")
    scheduled_plan = serializers.CharField(source="scheduled_plan.code", allow_null=True)

    class Meta:
        model = Subscription
        fields = (
            "id",
            "vendor_id",
            "plan",
            "status",
            "currency",
            "amount_minor",
            "current_period_start",
            "current_period_end",
            "trial_ends_at",
            "grace_until",
            "cancel_at_period_end",
            "scheduled_plan",
            "activated_at",
            "cancelled_at",
            "expired_at",
            "created_at",
        )


class ChargeOutput(serializers.ModelSerializer):
    plan = serializers.CharField(source="plan.code")

    class Meta:
        model = Charge
        fields = (
            "id",
            "kind",
            "status",
            "amount_minor",
            "currency",
            "plan",
            "period_start",
            "period_end",
            "payment_id",
            "payment_url",
            "payment_failed",
            "paid_at",
            "created_at",
        )


class CheckoutOutput(serializers.Serializer):
    charge_id = serializers.UUIDField()
    payment_id = serializers.UUIDField()
    url = serializers.URLField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    gateway = serializers.CharField()


class PlanChangeOutput(serializers.Serializer):
    direction = serializers.CharField()
    applied = serializers.BooleanField()
    amount_minor = serializers.IntegerField()
    effective_at = serializers.DateTimeField(allow_null=True)
    subscription = SubscriptionOutput()
    payment = CheckoutOutput(allow_null=True)


class UsageItemOutput(serializers.Serializer):
    resource = serializers.CharField()
    used = serializers.IntegerField()
    limit = serializers.IntegerField()


class UsageOutput(serializers.Serializer):
    vendor_id = serializers.UUIDField()
    plan = serializers.CharField()
    resources = UsageItemOutput(many=True)
    api_requests_per_minute = serializers.IntegerField()
