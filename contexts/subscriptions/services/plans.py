"""Plans: the three default plans, staff edits, quotes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from bazaar_platform.currencies import is_currency
from contexts.subscriptions.models import MAX_PRICE_MINOR, Plan, PlanPrice
from contexts.subscriptions.selectors import plan_get, plan_price


class InvalidPlanError(ApplicationError):
    status_code = 422
    code = "invalid_plan"


class CurrencyNotOfferedError(ApplicationError):
    status_code = 422
    code = "currency_not_offered"


@dataclass(frozen=True)
class PlanSpec:
    code: str
    name: str
    description: str
    max_products: int
    max_stores: int
    max_staff_seats: int
    api_requests_per_minute: int
    prices: dict[str, int] = field(default_factory=dict)
    billing_period: str = "month"
    trial_days: int = 0
    sort_order: int = 0
    commission_rate_bp: int = 1_000


#: The plans every deployment starts with (staff edit them afterwards in the admin or
#: through the staff API; ``plan_ensure_defaults`` never overwrites an edit).
DEFAULT_PLANS: tuple[PlanSpec, ...] = (
    PlanSpec(
        code="free",
        name="Free",
        description="Try Bazaar with one store and a small catalogue.",
        max_products=25,
        max_stores=1,
        max_staff_seats=1,
        api_requests_per_minute=60,
        prices={"EUR": 0, "USD": 0, "GBP": 0},
        sort_order=10,
        commission_rate_bp=1_500,
    ),
    PlanSpec(
        code="growth",
        name="Growth",
        description="For growing shops: several stores, a team and a larger catalogue.",
        max_products=1_000,
        max_stores=3,
        max_staff_seats=5,
        api_requests_per_minute=300,
        prices={"EUR": 2_900, "USD": 3_200, "GBP": 2_500},
        sort_order=20,
        commission_rate_bp=1_000,
    ),
    PlanSpec(
        code="pro",
        name="Pro",
        description="For established vendors with many stores and integrations.",
        max_products=20_000,
        max_stores=10,
        max_staff_seats=25,
        api_requests_per_minute=1_200,
        prices={"EUR": 9_900, "USD": 10_900, "GBP": 8_500},
        sort_order=30,
        commission_rate_bp=500,
    ),
)


def _validation_error(exc: DjangoValidationError) -> ApplicationError:
    fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    first = next(iter(fields.items()), ("plan", ["invalid"]))
    return ApplicationError(
        f"{first[0]}: {first[1][0]}", code="validation_error", status_code=400, fields=fields
    )


def _check_prices(prices: dict[str, Any]) -> dict[str, int]:
    checked: dict[str, int] = {}
    for currency, amount in prices.items():
        if not is_currency(currency):
            raise ApplicationError(
                f"{str(currency)[:10]!r} is not an ISO 4217 currency code.",
                code="validation_error",
                fields={"prices": [f"Unknown currency {str(currency)[:10]!r}."]},
            )
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ApplicationError(
                "Prices are integers in minor units.",
                code="validation_error",
                fields={"prices": [f"{currency}: an integer in minor units is required."]},
            )
        if amount < 0 or amount > MAX_PRICE_MINOR:
            raise ApplicationError(
                f"{currency} price must be between 0 and {MAX_PRICE_MINOR} minor units.",
                code="validation_error",
                fields={"prices": [f"{currency}: {amount} is out of range."]},
            )
        checked[currency] = amount
    if not checked:
        raise ApplicationError(
            "A plan needs a price in at least one currency.",
            code="validation_error",
            fields={"prices": ["At least one currency is required."]},
        )
    return checked


def _set_prices(plan: Plan, prices: dict[str, int]) -> None:
    plan.prices.exclude(currency__in=list(prices)).delete()
    for currency, amount in prices.items():
        PlanPrice.objects.update_or_create(
            plan=plan, currency=currency, defaults={"amount_minor": amount}
        )


_PLAN_FIELDS = (
    "name",
    "description",
    "billing_period",
    "trial_days",
    "max_products",
    "max_stores",
    "max_staff_seats",
    "api_requests_per_minute",
    "commission_rate_bp",
    "is_active",
    "sort_order",
)


def plan_create(*, code: str, prices: dict[str, Any], **fields: Any) -> Plan:
    """Create a plan (staff). Prices: ``{"EUR": 2900}`` in minor units."""
    unknown = set(fields) - set(_PLAN_FIELDS)
    if unknown:
        raise TypeError(f"unknown plan fields {sorted(unknown)}")
    checked = _check_prices(prices)
    with transaction.atomic():
        if Plan.objects.filter(code=code).exists():
            raise ConflictError(f"A plan with code {code!r} exists.", code="plan_exists")
        plan = Plan(code=code, **fields)
        try:
            plan.full_clean()
        except DjangoValidationError as exc:
            raise _validation_error(exc) from None
        plan.save()
        _set_prices(plan, checked)
    return plan


def plan_update(*, code: str, prices: dict[str, Any] | None = None, **fields: Any) -> Plan:
    """Edit a plan (staff). Existing subscriptions keep the price they signed up at until
    their next renewal; new limits apply at once."""
    unknown = set(fields) - set(_PLAN_FIELDS)
    if unknown:
        raise TypeError(f"unknown plan fields {sorted(unknown)}")
    checked = _check_prices(prices) if prices is not None else None
    with transaction.atomic():
        plan = Plan.objects.select_for_update().filter(code=code).first()
        if plan is None:
            raise NotFoundError(f"No plan {code[:32]!r}.")
        for name, value in fields.items():
            setattr(plan, name, value)
        try:
            plan.full_clean()
        except DjangoValidationError as exc:
            raise _validation_error(exc) from None
        plan.save()
        if checked is not None:
            _set_prices(plan, checked)
    return plan


def plan_ensure_default(spec: PlanSpec) -> bool:
    """Create the plan ``spec`` describes unless a plan with its code exists (a staff
    edit is never overwritten). Returns whether it was created."""
    with transaction.atomic():
        plan, created = Plan.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "description": spec.description,
                "billing_period": spec.billing_period,
                "trial_days": spec.trial_days,
                "max_products": spec.max_products,
                "max_stores": spec.max_stores,
                "max_staff_seats": spec.max_staff_seats,
                "api_requests_per_minute": spec.api_requests_per_minute,
                "sort_order": spec.sort_order,
                "commission_rate_bp": spec.commission_rate_bp,
            },
        )
        if created:
            _set_prices(plan, spec.prices)
    return created


def plan_ensure_defaults() -> int:
    """Create the default plans that do not exist yet; returns how many it created."""
    return sum(plan_ensure_default(spec) for spec in DEFAULT_PLANS)


def plan_quote(
    *, plan_code: str, currency: str, for_new_subscription: bool = True
) -> tuple[Plan, int]:
    """The plan ``plan_code`` and its price in ``currency``; 422 when either is not offered."""
    plan = plan_get(code=plan_code) if isinstance(plan_code, str) else None
    if plan is None or (for_new_subscription and not plan.is_active):
        raise InvalidPlanError(
            f"There is no plan {str(plan_code)[:32]!r} to subscribe to.",
            fields={"plan": ["Choose one of the offered plans (GET /api/v1/subscriptions/plans)."]},
        )
    if not is_currency(currency):
        raise ApplicationError(
            f"{str(currency)[:10]!r} is not an ISO 4217 currency code.",
            code="validation_error",
            fields={"currency": ["An ISO 4217 code such as EUR is required."]},
        )
    price = plan_price(plan=plan, currency=currency)
    if price is None:
        offered = sorted(p.currency for p in plan.prices.all())
        raise CurrencyNotOfferedError(
            f"The {plan.name} plan is not sold in {currency}; it is sold in {', '.join(offered)}.",
            fields={"currency": [f"One of {offered}."]},
            extra={"offered_currencies": offered},
        )
    return plan, int(price.amount_minor)
