"""The subscriptions context's synchronous API for other contexts.

Plain functions with keyword-only arguments returning frozen dataclasses. Errors are
``ApplicationError`` subclasses that render in the API error format (``invalid_plan``
422, ``currency_not_offered`` 422, ``plan_limit_reached`` 403, ``already_subscribed``
409 ...). Functions that create payment links talk to the payment gateway: call them
outside ``transaction.atomic()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from contexts.subscriptions import selectors
from contexts.subscriptions.models import Plan, Resource, Subscription
from contexts.subscriptions.services import billing, lifecycle, plans, usage


@dataclass(frozen=True)
class PlanLimits:
    """What a plan allows."""

    plan_code: str
    max_products: int
    max_stores: int
    max_staff_seats: int
    api_requests_per_minute: int


@dataclass(frozen=True)
class PlanQuote:
    """The price of one period of a plan in one currency."""

    plan_code: str
    plan_name: str
    currency: str
    amount_minor: int
    billing_period: str
    trial_days: int

    @property
    def is_free(self) -> bool:
        return self.amount_minor == 0


@dataclass(frozen=True)
class SubscriptionInfo:
    """A vendor's subscription as other contexts may see it."""

    subscription_id: UUID
    vendor_id: UUID
    plan_code: str
    status: str
    currency: str
    amount_minor: int
    current_period_end: datetime | None
    trial_ends_at: datetime | None
    needs_payment: bool


@dataclass(frozen=True)
class CheckoutInfo:
    """A payment link for what a subscription owes."""

    subscription_id: UUID
    charge_id: UUID
    payment_id: UUID
    url: str
    amount_minor: int
    currency: str
    gateway: str


@dataclass(frozen=True)
class ResourceUsage:
    resource: str
    used: int
    limit: int


def _limits(plan: Plan) -> PlanLimits:
    return PlanLimits(
        plan_code=plan.code,
        max_products=plan.max_products,
        max_stores=plan.max_stores,
        max_staff_seats=plan.max_staff_seats,
        api_requests_per_minute=plan.api_requests_per_minute,
    )


def _info(sub: Subscription) -> SubscriptionInfo:
    return SubscriptionInfo(
        subscription_id=sub.pk,
        vendor_id=sub.vendor_id,
        plan_code=sub.plan.code,
        status=sub.status,
        currency=sub.currency,
        amount_minor=sub.amount_minor,
        current_period_end=sub.current_period_end,
        trial_ends_at=sub.trial_ends_at,
        needs_payment=sub.charges.filter(status="open").exists(),
    )


def plan_quote(*, plan_code: str, currency: str) -> PlanQuote:
    """The price of ``plan_code`` in ``currency`` for a new subscriber.

    Raises 422 ``invalid_plan`` (no such plan on offer) or ``currency_not_offered``
    (the plan is not sold in that currency; ``offered_currencies`` lists those it is).
    """
    plan, amount = plans.plan_quote(plan_code=plan_code, currency=currency)
    return PlanQuote(
        plan_code=plan.code,
        plan_name=plan.name,
        currency=currency,
        amount_minor=amount,
        billing_period=plan.billing_period,
        trial_days=plan.trial_days,
    )


def subscription_create(
    *,
    vendor_id: UUID,
    plan_code: str,
    currency: str,
    billing_email: str,
    idempotency_key: str,
    billing_user_id: UUID | None = None,
) -> SubscriptionInfo:
    """Subscribe ``vendor_id`` to ``plan_code`` billed in ``currency``.

    ``billing_user_id``: the account that pays (payment links are made out to it, so it
    can see its payments).

    Free plans (and plans with a trial) are active at once; paid plans wait in
    ``pending_payment`` for :func:`subscription_checkout`'s link to be paid. The same
    ``idempotency_key`` returns the same subscription. Raises 409 ``already_subscribed``
    when the vendor has a live subscription from another request.
    """
    return _info(
        lifecycle.subscription_create(
            vendor_id=vendor_id,
            plan_code=plan_code,
            currency=currency,
            billing_email=billing_email,
            billing_user_id=billing_user_id,
            idempotency_key=idempotency_key,
        )
    )


def subscription_grant(
    *,
    vendor_id: UUID,
    plan_code: str,
    currency: str,
    billing_email: str,
    idempotency_key: str,
) -> SubscriptionInfo:
    """Like :func:`subscription_create`, but the first period is on the house (staff
    grants, demo data): the subscription is active at once; renewals are billed."""
    return _info(
        lifecycle.subscription_create(
            vendor_id=vendor_id,
            plan_code=plan_code,
            currency=currency,
            billing_email=billing_email,
            idempotency_key=idempotency_key,
            complimentary=True,
        )
    )


def subscription_checkout(*, subscription_id: UUID) -> CheckoutInfo | None:
    """A payment link for what the subscription owes, or ``None`` if nothing is owed.

    Calling it again returns the same link until that payment fails; then a new one.
    Raises the payments context's ``PaymentGatewayUnavailable`` (503) when the gateway
    is unreachable: nothing is lost, call again later.
    """
    checkout = billing.subscription_checkout(subscription_id=subscription_id)
    if checkout is None:
        return None
    return CheckoutInfo(
        subscription_id=subscription_id,
        charge_id=checkout.charge_id,
        payment_id=checkout.payment_id,
        url=checkout.url,
        amount_minor=checkout.amount_minor,
        currency=checkout.currency,
        gateway=checkout.gateway,
    )


def subscription_abandon(*, subscription_id: UUID) -> bool:
    """Cancel a subscription that was never paid (a failed onboarding's compensation).
    Returns False when it is no longer pending payment (then nothing changes)."""
    return lifecycle.subscription_abandon(subscription_id=subscription_id)


def subscription_get(*, subscription_id: UUID) -> SubscriptionInfo | None:
    """The subscription ``subscription_id``, or ``None``."""
    sub = selectors.subscription_get(subscription_id=subscription_id)
    return None if sub is None else _info(sub)


def subscription_for_vendor(*, vendor_id: UUID) -> SubscriptionInfo | None:
    """The vendor's live subscription, else its latest one, else ``None``."""
    sub = selectors.subscription_latest_for_vendor(vendor_id=vendor_id)
    return None if sub is None else _info(sub)


def plan_limits_for(*, vendor_id: UUID) -> PlanLimits:
    """The limits in force for ``vendor_id`` (its live subscription's plan, else the
    default plan). Callers may cache the answer briefly; ``subscriptions.plan_changed``
    and the activation / expiry events say when it changed."""
    return _limits(usage.plan_in_force(vendor_id=vendor_id))


def commission_rate_for(*, vendor_id: UUID) -> int:
    """The platform commission, in basis points (0-10000, 1000 = 10 %), charged on
    ``vendor_id``'s sales now: its plan in force's rate (see :func:`plan_limits_for`).
    Callers that must know the rate of a past sale record the answer with the sale:
    staff may edit a plan's rate and vendors change plans."""
    return int(usage.plan_in_force(vendor_id=vendor_id).commission_rate_bp)


def limit_check(*, vendor_id: UUID, resource: str, current_count: int) -> None:
    """Raise 403 ``plan_limit_reached`` (naming the resource, the limit and the plan)
    when creating one more ``resource`` ("products", "stores", "staff_seats") on top of
    ``current_count`` would exceed the vendor's plan; return ``None`` otherwise."""
    usage.limit_check(vendor_id=vendor_id, resource=resource, current_count=current_count)


def usage_for(*, vendor_id: UUID) -> list[ResourceUsage]:
    """Each limited resource's use (from the usage read model) against the plan's limit."""
    plan = usage.plan_in_force(vendor_id=vendor_id)
    counts = selectors.usage_for_vendor(vendor_id=vendor_id)
    return [
        ResourceUsage(resource=r, used=counts.get(r, 0), limit=plan.limit_of(r))
        for r in (Resource.PRODUCTS, Resource.STORES, Resource.STAFF_SEATS)
    ]
