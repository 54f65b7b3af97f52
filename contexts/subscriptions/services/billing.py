"""Payment links for charges, and the billing run Celery beat triggers.

Payment links come from the payments facade, which talks to the gateway over the
network: it is always called *outside* a database transaction, between two short
ones (reserve the attempt, record the link), so a slow or failing gateway never
holds locks and a crash in between is repaired by calling again (the payments
idempotency key is the charge id plus the attempt number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from bazaar_platform.events import publish
from contexts.payments import facade as payments
from contexts.subscriptions.events import (
    PlanChanged,
    SubscriptionExpired,
    SubscriptionPastDue,
    SubscriptionRenewed,
)
from contexts.subscriptions.models import (
    Charge,
    ChargeKind,
    ChargeStatus,
    Subscription,
    SubscriptionStatus,
)
from contexts.subscriptions.selectors import (
    plan_price,
    subscriptions_due_for_renewal,
    subscriptions_past_due_expired,
)
from contexts.subscriptions.services.lifecycle import _apply_renewal_now, _cancel_now
from contexts.subscriptions.services.periods import grace_end, period_end

log = structlog.get_logger("bazaar.subscriptions.billing")

PAYMENT_PURPOSE = "subscription"
_PAYABLE = (
    SubscriptionStatus.PENDING_PAYMENT,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
)
_KIND_ORDER = {ChargeKind.INITIAL: 0, ChargeKind.RENEWAL: 1, ChargeKind.UPGRADE: 2}


@dataclass(frozen=True)
class Checkout:
    charge_id: UUID
    kind: str
    payment_id: UUID
    url: str
    amount_minor: int
    currency: str
    gateway: str


def _description(charge: Charge) -> str:
    what = {
        ChargeKind.INITIAL: "subscription",
        ChargeKind.RENEWAL: "subscription renewal",
        ChargeKind.UPGRADE: "upgrade",
    }[ChargeKind(charge.kind)]
    return f"Bazaar {charge.plan.name} plan — {what}"


def _reserve_attempt(charge_id: UUID) -> tuple[Charge, str]:
    """Lock the charge and decide which payment link attempt this checkout uses."""
    with transaction.atomic():
        charge = (
            Charge.objects.select_for_update(of=("self",))
            .select_related("plan", "subscription")
            .filter(pk=charge_id)
            .first()
        )
        if charge is None:
            raise NotFoundError("No such charge.")
        if charge.status != ChargeStatus.OPEN:
            raise ConflictError(f"This charge is {charge.status}.", code="charge_not_open")
        if charge.attempt == 0 or charge.payment_failed:
            charge.attempt += 1
            charge.payment_failed = False
            charge.payment_id = None
            charge.payment_url = ""
            charge.save(
                update_fields=[
                    "attempt",
                    "payment_failed",
                    "payment_id",
                    "payment_url",
                    "updated_at",
                ]
            )
    return charge, f"subscription-charge:{charge.pk}:{charge.attempt}"


def charge_checkout(*, charge_id: UUID) -> Checkout:
    """A payment link for an open charge: the current one, or a new one after a failure.

    The link's arguments depend on the charge alone (never on who asks), so asking again
    for the same attempt always matches the payments idempotency record.

    Raises the payments context's ``PaymentGatewayUnavailable`` (503) when the gateway
    cannot be reached; calling again later is safe and creates nothing twice.
    """
    charge, key = _reserve_attempt(charge_id)
    link = payments.payment_link_create(
        purpose=PAYMENT_PURPOSE,
        reference_id=charge.pk,
        amount_minor=charge.amount_minor,
        currency=charge.currency,
        description=_description(charge),
        payer_email=charge.subscription.billing_email,
        idempotency_key=key,
        success_url=settings.SUBSCRIPTIONS_CHECKOUT_SUCCESS_URL,
        cancel_url=settings.SUBSCRIPTIONS_CHECKOUT_CANCEL_URL,
        payer_user_id=charge.subscription.billing_user_id,
    )
    with transaction.atomic():
        Charge.objects.filter(
            pk=charge.pk, attempt=charge.attempt, status=ChargeStatus.OPEN
        ).update(payment_id=link.payment_id, payment_url=link.url, updated_at=timezone.now())
    return Checkout(
        charge_id=charge.pk,
        kind=charge.kind,
        payment_id=link.payment_id,
        url=link.url,
        amount_minor=link.amount_minor,
        currency=link.currency,
        gateway=link.gateway,
    )


def subscription_checkout(*, subscription_id: UUID) -> Checkout | None:
    """A payment link for what the subscription owes (initial charge first, then a
    renewal, then an upgrade); ``None`` when nothing is owed."""
    sub = Subscription.objects.filter(pk=subscription_id).first()
    if sub is None:
        raise NotFoundError("No such subscription.")
    if sub.status not in _PAYABLE:
        raise ConflictError(f"The subscription is {sub.status}.", code="subscription_not_active")
    open_charges = sorted(
        Charge.objects.filter(subscription=sub, status=ChargeStatus.OPEN),
        key=lambda c: (_KIND_ORDER[ChargeKind(c.kind)], c.created_at),
    )
    if not open_charges:
        return None
    return charge_checkout(charge_id=open_charges[0].pk)


# --- the billing run --------------------------------------------------------------------------
@dataclass
class BillingRunReport:
    renewal_charges: int = 0
    payment_links: int = 0
    gateway_failures: int = 0
    renewed: int = 0
    cancelled: int = 0
    past_due: int = 0
    expired: int = 0
    abandoned: int = 0


def _next_plan_and_amount(sub: Subscription) -> tuple[int, int]:
    """(plan id, price) the next period is billed at: a scheduled downgrade's plan if any."""
    plan = sub.scheduled_plan or sub.plan
    price = plan_price(plan=plan, currency=sub.currency)
    if price is None:  # the plan stopped selling in this currency: keep the current price
        return plan.pk, sub.amount_minor
    return plan.pk, int(price.amount_minor)


def _create_renewal_charge(subscription_id: UUID) -> UUID | None:
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("plan", "scheduled_plan")
            .filter(pk=subscription_id)
            .first()
        )
        if (
            sub is None
            or sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
            or sub.cancel_at_period_end
            or sub.current_period_end is None
        ):
            return None
        plan_id, amount = _next_plan_and_amount(sub)
        if amount == 0:
            return None
        existing = Charge.objects.filter(
            subscription=sub, kind=ChargeKind.RENEWAL, period_start=sub.current_period_end
        ).exclude(status=ChargeStatus.VOID)
        if existing.exists():
            return None
        next_plan = sub.scheduled_plan or sub.plan
        charge = Charge.objects.create(
            subscription=sub,
            kind=ChargeKind.RENEWAL,
            amount_minor=amount,
            currency=sub.currency,
            plan_id=plan_id,
            period_start=sub.current_period_end,
            period_end=period_end(sub.current_period_end, next_plan.billing_period),
        )
    return charge.pk


def _roll_over(subscription_id: UUID, *, now: datetime, report: BillingRunReport) -> None:
    """An active subscription reached the end of its period."""
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("plan", "scheduled_plan")
            .filter(pk=subscription_id)
            .first()
        )
        if (
            sub is None
            or sub.status != SubscriptionStatus.ACTIVE
            or sub.current_period_end is None
            or sub.current_period_end > now
        ):
            return
        if sub.cancel_at_period_end:
            _cancel_now(sub, reason="vendor_request", now=now)
            report.cancelled += 1
            return
        paid = (
            Charge.objects.select_related("plan")
            .filter(
                subscription=sub,
                kind=ChargeKind.RENEWAL,
                status=ChargeStatus.PAID,
                period_start=sub.current_period_end,
            )
            .first()
        )
        if paid is not None:
            _apply_renewal_now(sub, paid)
            publish(_renewed(sub))
            report.renewed += 1
            return
        _, amount = _next_plan_and_amount(sub)
        if amount == 0:  # free plans renew by themselves
            old_plan = sub.plan
            next_plan = sub.scheduled_plan or sub.plan
            start = sub.current_period_end
            sub.current_period_start = start
            sub.current_period_end = period_end(start, next_plan.billing_period)
            sub.plan = next_plan
            sub.amount_minor = 0
            sub.scheduled_plan = None
            sub.trial_ends_at = None
            sub.save()
            if old_plan.pk != next_plan.pk:
                publish(
                    PlanChanged(
                        subscription_id=sub.pk,
                        vendor_id=sub.vendor_id,
                        old_plan_code=old_plan.code,
                        new_plan_code=next_plan.code,
                        direction="downgrade",
                    )
                )
            publish(_renewed(sub))
            report.renewed += 1
            return
        sub.status = SubscriptionStatus.PAST_DUE
        sub.grace_until = grace_end(sub.current_period_end, settings.SUBSCRIPTIONS_GRACE_DAYS)
        sub.save(update_fields=["status", "grace_until", "updated_at"])
        publish(
            SubscriptionPastDue(
                subscription_id=sub.pk,
                vendor_id=sub.vendor_id,
                plan_code=sub.plan.code,
                grace_until=sub.grace_until,
            )
        )
        report.past_due += 1


def _renewed(sub: Subscription) -> SubscriptionRenewed:
    assert sub.current_period_end is not None
    return SubscriptionRenewed(
        subscription_id=sub.pk,
        vendor_id=sub.vendor_id,
        plan_code=sub.plan.code,
        current_period_end=sub.current_period_end,
    )


def _expire(subscription_id: UUID, *, now: datetime) -> bool:
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("plan")
            .filter(pk=subscription_id)
            .first()
        )
        if (
            sub is None
            or sub.status != SubscriptionStatus.PAST_DUE
            or sub.grace_until is None
            or sub.grace_until > now
        ):
            return False
        sub.status = SubscriptionStatus.EXPIRED
        sub.expired_at = now
        sub.save(update_fields=["status", "expired_at", "updated_at"])
        Charge.objects.filter(subscription=sub, status=ChargeStatus.OPEN).update(
            status=ChargeStatus.VOID, updated_at=now
        )
        publish(
            SubscriptionExpired(
                subscription_id=sub.pk, vendor_id=sub.vendor_id, plan_code=sub.plan.code
            )
        )
    return True


def billing_run(*, now: datetime | None = None, limit: int = 500) -> BillingRunReport:
    """One pass of the billing cycle (Celery beat runs it every few minutes; idempotent):

    1. active subscriptions whose period ends within ``SUBSCRIPTIONS_RENEWAL_LEAD_DAYS``
       get a renewal charge and its payment link (free plans need none);
    2. periods that ended roll over: into the paid next period, into ``cancelled`` when
       a cancellation was scheduled, or into ``past_due`` with a grace period;
    3. past-due subscriptions whose grace period ran out expire;
    4. subscriptions left ``pending_payment`` longer than
       ``SUBSCRIPTIONS_PENDING_PAYMENT_TTL_DAYS`` are cancelled as abandoned.

    A gateway outage only delays step 1's links (the charge is kept and the next run
    retries); nothing else depends on the gateway.
    """
    now = now or timezone.now()
    report = BillingRunReport()
    lead = timedelta(days=settings.SUBSCRIPTIONS_RENEWAL_LEAD_DAYS)
    for sub_id in list(
        subscriptions_due_for_renewal(before=now + lead).values_list("pk", flat=True)[:limit]
    ):
        if _create_renewal_charge(sub_id) is not None:
            report.renewal_charges += 1
    # Links for every open renewal charge still without one (new, failed, or a gateway
    # outage on an earlier run).
    pending_links = Charge.objects.filter(
        kind=ChargeKind.RENEWAL,
        status=ChargeStatus.OPEN,
        subscription__status__in=(SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE),
        payment_id__isnull=True,
    ).values_list("pk", flat=True)[:limit]
    for charge_id in list(pending_links):
        try:
            charge_checkout(charge_id=charge_id)
            report.payment_links += 1
        except ApplicationError as exc:
            if exc.status_code < 500:
                log.error("renewal_link_refused", charge_id=str(charge_id), code=exc.code)
            report.gateway_failures += 1
    for sub_id in list(
        Subscription.objects.filter(
            status=SubscriptionStatus.ACTIVE, current_period_end__lte=now
        ).values_list("pk", flat=True)[:limit]
    ):
        _roll_over(sub_id, now=now, report=report)
    for sub_id in list(
        subscriptions_past_due_expired(now=now).values_list("pk", flat=True)[:limit]
    ):
        if _expire(sub_id, now=now):
            report.expired += 1
    stale = now - timedelta(days=settings.SUBSCRIPTIONS_PENDING_PAYMENT_TTL_DAYS)
    for sub_id in list(
        Subscription.objects.filter(
            status=SubscriptionStatus.PENDING_PAYMENT, created_at__lte=stale
        ).values_list("pk", flat=True)[:limit]
    ):
        with transaction.atomic():
            sub = (
                Subscription.objects.select_for_update(of=("self",))
                .select_related("plan")
                .filter(pk=sub_id, status=SubscriptionStatus.PENDING_PAYMENT)
                .first()
            )
            if sub is not None:
                _cancel_now(sub, reason="abandoned", now=now)
                report.abandoned += 1
    log.info("billing_run", **report.__dict__)
    return report
