"""The billing run (Celery beat): renewals, roll-over, grace period, expiry, cancellation,
abandoned pending subscriptions — driven with explicit clocks."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from contexts.subscriptions.models import Charge, Subscription
from contexts.subscriptions.services import billing, lifecycle
from contexts.subscriptions.tasks import subscriptions_billing_run
from contexts.subscriptions.tests import support
from tests.conftest import free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def active(plan: str = "growth", currency: str = "EUR") -> Subscription:
    with support.committed():
        sub = lifecycle.subscription_create(
            vendor_id=uuid.uuid4(),
            plan_code=plan,
            currency=currency,
            billing_email="billing@example.test",
            idempotency_key=str(uuid.uuid4()),
        )
    if sub.status == "pending_payment":
        checkout = billing.subscription_checkout(subscription_id=sub.pk)
        assert checkout is not None
        support.deliver(support.succeeded(checkout.payment_id))
    sub.refresh_from_db()
    assert sub.status == "active"
    return sub


def run(now: datetime) -> billing.BillingRunReport:
    with support.committed():
        return billing.billing_run(now=now)


def renewal(sub: Subscription) -> Charge:
    return Charge.objects.get(subscription=sub, kind="renewal", status__in=["open", "paid"])


def test_a_paid_renewal_moves_into_the_next_period_at_roll_over():
    sub = active()
    end = sub.current_period_end
    assert end is not None
    early = run(end - timedelta(days=10))
    assert early.renewal_charges == 0  # not yet within the lead time
    report = run(end - timedelta(days=2))
    assert (report.renewal_charges, report.payment_links) == (1, 1)
    charge = renewal(sub)
    assert (charge.amount_minor, charge.period_start) == (2900, end)
    assert charge.payment_id is not None
    assert run(end - timedelta(days=1)).renewal_charges == 0  # idempotent
    support.deliver(support.succeeded(charge.payment_id))
    sub.refresh_from_db()
    assert sub.current_period_end == end  # paid early: takes effect at roll-over
    report = run(end + timedelta(minutes=1))
    assert report.renewed == 1
    sub.refresh_from_db()
    assert (sub.status, sub.current_period_start, sub.current_period_end) == (
        "active",
        end,
        charge.period_end,
    )
    assert support.published("subscriptions.subscription_renewed", subscription_id=sub.pk)


def test_unpaid_goes_past_due_then_expires_and_a_late_payment_in_grace_reactivates(settings):
    settings.SUBSCRIPTIONS_GRACE_DAYS = 5
    sub, late = active(), active()
    end = sub.current_period_end
    assert end is not None
    run(end - timedelta(days=1))
    for s in (sub, late):
        s.refresh_from_db()
    report = run(max(sub.current_period_end, late.current_period_end) + timedelta(hours=1))
    assert report.past_due == 2
    sub.refresh_from_db()
    assert sub.status == "past_due"
    assert sub.grace_until == end + timedelta(days=5)
    [past_due] = support.published("subscriptions.subscription_past_due", subscription_id=sub.pk)
    assert past_due["grace_until"].startswith(str(sub.grace_until.date()))

    # the late one pays within the grace period: active again, the period continues
    late_charge = renewal(late)
    support.deliver(support.succeeded(late_charge.payment_id))
    late.refresh_from_db()
    assert (late.status, late.grace_until) == ("active", None)
    assert late.current_period_start == late_charge.period_start
    [reactivated] = [
        e
        for e in support.published("subscriptions.subscription_activated", subscription_id=late.pk)
        if e["reactivated"]
    ]
    assert reactivated["plan_code"] == "growth"

    # the other does not pay: expired when the grace period ends, its charge void
    assert run(end + timedelta(days=4)).expired == 0
    assert run(end + timedelta(days=5, minutes=1)).expired == 1
    sub.refresh_from_db()
    assert sub.status == "expired"
    assert renewal_void(sub)
    assert support.published("subscriptions.subscription_expired", subscription_id=sub.pk)
    # a payment after expiry does not revive it
    charge = Charge.objects.get(subscription=sub, kind="renewal")
    support.deliver(support.succeeded(charge.payment_id))
    sub.refresh_from_db()
    assert sub.status == "expired"


def renewal_void(sub: Subscription) -> bool:
    return Charge.objects.get(subscription=sub, kind="renewal").status == "void"


def test_free_plans_renew_by_themselves():
    sub = active(plan="free")
    end = sub.current_period_end
    assert end is not None
    report = run(end + timedelta(seconds=1))
    assert (report.renewal_charges, report.renewed) == (0, 1)
    sub.refresh_from_db()
    assert sub.current_period_start == end
    assert not Charge.objects.filter(subscription=sub).exists()


def test_cancel_at_period_end_and_resume():
    sub = active()
    end = sub.current_period_end
    assert end is not None
    run(end - timedelta(days=1))  # a renewal charge exists
    with support.committed():
        lifecycle.subscription_cancel(subscription_id=sub.pk)
    sub.refresh_from_db()
    assert (sub.status, sub.cancel_at_period_end) == ("active", True)
    assert Charge.objects.get(subscription=sub, kind="renewal").status == "void"
    with support.committed():
        lifecycle.subscription_resume(subscription_id=sub.pk)
        lifecycle.subscription_cancel(subscription_id=sub.pk)
    report = run(end + timedelta(seconds=1))
    assert report.cancelled == 1
    sub.refresh_from_db()
    assert sub.status == "cancelled"
    [cancelled] = support.published("subscriptions.subscription_cancelled", subscription_id=sub.pk)
    assert cancelled["reason"] == "vendor_request"


def test_a_pending_subscription_left_unpaid_is_abandoned(settings):
    settings.SUBSCRIPTIONS_PENDING_PAYMENT_TTL_DAYS = 3
    with support.committed():
        sub = lifecycle.subscription_create(
            vendor_id=uuid.uuid4(),
            plan_code="pro",
            currency="GBP",
            billing_email="b@example.test",
        )
    assert run(timezone.now() + timedelta(days=2)).abandoned == 0
    assert run(timezone.now() + timedelta(days=3, minutes=1)).abandoned == 1
    sub.refresh_from_db()
    assert sub.status == "cancelled"


def test_a_gateway_outage_delays_only_the_renewal_link(settings):
    sub = active()
    end = sub.current_period_end
    assert end is not None
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_down"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_down"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    report = run(end - timedelta(days=1))
    assert (report.renewal_charges, report.payment_links, report.gateway_failures) == (1, 0, 1)
    assert renewal(sub).payment_id is None
    settings.PAYMENTS_GATEWAY = "sandbox"
    report = run(end - timedelta(hours=12))
    assert (report.renewal_charges, report.payment_links) == (0, 1)
    assert renewal(sub).payment_id is not None


def test_the_celery_task_runs_the_billing_cycle():
    sub = active()
    Subscription.objects.filter(pk=sub.pk).update(
        current_period_end=timezone.now() + timedelta(hours=1)
    )
    with support.committed():
        result = subscriptions_billing_run.apply().get()
    assert result["renewal_charges"] == 1
    assert renewal(sub).status == "open"
