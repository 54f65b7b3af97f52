"""Upgrades, downgrades, limits, usage and plan edits."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError
from contexts.subscriptions import facade
from contexts.subscriptions.models import Charge, Plan, Subscription
from contexts.subscriptions.services import billing, changes, lifecycle, plans, usage
from contexts.subscriptions.tests import support

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def active(plan: str = "growth") -> Subscription:
    with support.committed():
        sub = lifecycle.subscription_create(
            vendor_id=uuid.uuid4(),
            plan_code=plan,
            currency="EUR",
            billing_email="billing@example.test",
            idempotency_key=str(uuid.uuid4()),
        )
    if sub.status == "pending_payment":
        checkout = billing.subscription_checkout(subscription_id=sub.pk)
        assert checkout is not None
        support.deliver(support.succeeded(checkout.payment_id))
    sub.refresh_from_db()
    return sub


def test_an_upgrade_is_prorated_and_applies_once_paid():
    sub = active("growth")
    assert sub.current_period_start is not None
    assert sub.current_period_end is not None
    halfway = sub.current_period_start + (sub.current_period_end - sub.current_period_start) / 2
    with support.committed():
        result = changes.subscription_change_plan(
            subscription_id=sub.pk, plan_code="pro", now=halfway
        )
    assert (result.direction, result.applied) == ("upgrade", False)
    assert result.amount_minor == 3500  # (99.00 - 29.00) for half the period
    charge = Charge.objects.get(pk=result.charge_id)
    assert (charge.kind, charge.plan.code, charge.amount_minor) == ("upgrade", "pro", 3500)
    sub.refresh_from_db()
    assert sub.plan.code == "growth"  # not before the payment
    assert facade.plan_limits_for(vendor_id=sub.vendor_id).max_stores == 3
    checkout = billing.charge_checkout(charge_id=charge.pk)
    support.deliver(support.succeeded(checkout.payment_id))
    sub.refresh_from_db()
    assert (sub.plan.code, sub.amount_minor) == ("pro", 9900)
    [changed] = support.published("subscriptions.plan_changed", subscription_id=sub.pk)
    assert (changed["old_plan_code"], changed["new_plan_code"], changed["direction"]) == (
        "growth",
        "pro",
        "upgrade",
    )
    assert facade.plan_limits_for(vendor_id=sub.vendor_id).max_stores == 10


def test_from_free_the_upgrade_charges_the_time_left():
    sub = active("free")
    with support.committed():
        result = changes.subscription_change_plan(
            subscription_id=sub.pk, plan_code="growth", now=sub.current_period_start
        )
    assert result.amount_minor == 2900


def test_a_downgrade_waits_for_the_period_end_and_bills_the_new_price():
    sub = active("pro")
    with support.committed():
        result = changes.subscription_change_plan(subscription_id=sub.pk, plan_code="growth")
    assert (result.direction, result.applied, result.effective_at) == (
        "downgrade",
        False,
        sub.current_period_end,
    )
    sub.refresh_from_db()
    assert (sub.plan.code, sub.scheduled_plan.code) == ("pro", "growth")
    end = sub.current_period_end
    with support.committed():
        billing.billing_run(now=end - timedelta(days=1))
    charge = Charge.objects.get(subscription=sub, kind="renewal")
    assert (charge.plan.code, charge.amount_minor) == ("growth", 2900)
    support.deliver(support.succeeded(charge.payment_id))
    with support.committed():
        billing.billing_run(now=end + timedelta(seconds=1))
    sub.refresh_from_db()
    assert (sub.plan.code, sub.amount_minor, sub.scheduled_plan) == ("growth", 2900, None)
    [changed] = support.published("subscriptions.plan_changed", subscription_id=sub.pk)
    assert changed["direction"] == "downgrade"


def test_choosing_the_current_plan_again_cancels_a_scheduled_downgrade():
    sub = active("pro")
    with support.committed():
        changes.subscription_change_plan(subscription_id=sub.pk, plan_code="free")
        result = changes.subscription_change_plan(subscription_id=sub.pk, plan_code="pro")
    assert result.direction == "downgrade_cancelled"
    sub.refresh_from_db()
    assert sub.scheduled_plan is None
    with pytest.raises(ApplicationError) as exc:
        changes.subscription_change_plan(subscription_id=sub.pk, plan_code="pro")
    assert exc.value.code == "already_on_plan"


def test_a_downgrade_below_current_usage_is_refused_naming_the_limit():
    sub = active("pro")
    usage.usage_record(vendor_id=sub.vendor_id, resource="stores", count=4, as_of=timezone.now())
    with pytest.raises(ApplicationError) as exc:
        changes.subscription_change_plan(subscription_id=sub.pk, plan_code="growth")
    assert exc.value.code == "plan_limit_reached"
    assert exc.value.extra["limit"] == {"resource": "stores", "max": 3, "used": 4, "plan": "growth"}


def test_plan_changes_need_an_active_subscription():
    with support.committed():
        sub = lifecycle.subscription_create(
            vendor_id=uuid.uuid4(),
            plan_code="growth",
            currency="EUR",
            billing_email="b@example.test",
        )
    with pytest.raises(ApplicationError) as exc:
        changes.subscription_change_plan(subscription_id=sub.pk, plan_code="pro")
    assert (exc.value.status_code, exc.value.code) == (409, "subscription_not_active")
    with pytest.raises(ApplicationError) as exc:
        changes.subscription_change_plan(subscription_id=active("growth").pk, plan_code="pro-max")
    assert exc.value.code == "invalid_plan"


def test_limit_check_and_usage():
    vendor_id = uuid.uuid4()
    # no subscription: the default (free) plan's limits
    facade.limit_check(vendor_id=vendor_id, resource="stores", current_count=0)
    with pytest.raises(ApplicationError) as exc:
        facade.limit_check(vendor_id=vendor_id, resource="stores", current_count=1)
    assert (exc.value.status_code, exc.value.code) == (403, "plan_limit_reached")
    assert "Free plan allows 1 stores" in exc.value.message
    with pytest.raises(ValueError, match="unknown resource"):
        facade.limit_check(vendor_id=vendor_id, resource="unicorns", current_count=0)
    now = timezone.now()
    assert usage.usage_record(vendor_id=vendor_id, resource="stores", count=2, as_of=now)
    # an older count arriving late does not overwrite a newer one
    assert not usage.usage_record(
        vendor_id=vendor_id, resource="stores", count=1, as_of=now - timedelta(seconds=1)
    )
    assert {u.resource: u.used for u in facade.usage_for(vendor_id=vendor_id)} == {
        "products": 0,
        "stores": 2,
        "staff_seats": 0,
    }


def test_subscription_create_is_idempotent_and_one_live_per_vendor():
    vendor_id = uuid.uuid4()
    key = str(uuid.uuid4())
    with support.committed():
        first = facade.subscription_create(
            vendor_id=vendor_id,
            plan_code="growth",
            currency="EUR",
            billing_email="b@example.test",
            idempotency_key=key,
        )
        again = facade.subscription_create(
            vendor_id=vendor_id,
            plan_code="growth",
            currency="EUR",
            billing_email="b@example.test",
            idempotency_key=key,
        )
    assert first == again
    with pytest.raises(ApplicationError) as exc:
        facade.subscription_create(
            vendor_id=vendor_id,
            plan_code="pro",
            currency="EUR",
            billing_email="b@example.test",
            idempotency_key=str(uuid.uuid4()),
        )
    assert exc.value.code == "already_subscribed"
    with pytest.raises(ApplicationError) as exc:
        facade.subscription_create(
            vendor_id=uuid.uuid4(),
            plan_code="growth",
            currency="EUR",
            billing_email="b@example.test",
            idempotency_key=key,
        )
    assert exc.value.code == "idempotency_key_reused"


def test_a_trial_starts_active_and_bills_at_its_end():
    plans.plan_create(
        code="trial",
        name="Trial",
        prices={"EUR": 1500},
        trial_days=14,
        max_products=5,
        max_stores=1,
        max_staff_seats=1,
        api_requests_per_minute=10,
    )
    with support.committed():
        sub = lifecycle.subscription_create(
            vendor_id=uuid.uuid4(),
            plan_code="trial",
            currency="EUR",
            billing_email="b@example.test",
        )
    assert sub.status == "active"
    assert sub.trial_ends_at == sub.current_period_end
    assert not Charge.objects.filter(subscription=sub).exists()
    with support.committed():
        billing.billing_run(now=sub.trial_ends_at - timedelta(days=1))
    assert Charge.objects.get(subscription=sub, kind="renewal").amount_minor == 1500


@pytest.mark.parametrize(
    ("prices", "fields"),
    [
        ({"EUR": -1}, {}),
        ({"EUR": 10**12}, {}),
        ({"EURO": 100}, {}),
        ({"EUR": 1.5}, {}),
        ({"EUR": True}, {}),
        ({}, {}),
        ({"EUR": 100}, {"max_stores": 0}),
        ({"EUR": 100}, {"trial_days": 1000}),
        ({"EUR": 100}, {"api_requests_per_minute": 0}),
    ],
)
def test_plan_edits_refuse_negative_or_absurd_values(prices, fields):
    plan = Plan.objects.get(code="growth")
    before = (
        plan.max_stores,
        plan.trial_days,
        list(plan.prices.values_list("currency", "amount_minor")),
    )
    with pytest.raises(ApplicationError) as exc:
        plans.plan_update(code="growth", prices=prices, **fields)
    assert exc.value.status_code == 400
    plan.refresh_from_db()
    assert (
        plan.max_stores,
        plan.trial_days,
        list(plan.prices.values_list("currency", "amount_minor")),
    ) == before


def test_quotes_name_what_is_wrong():
    with pytest.raises(ApplicationError) as exc:
        facade.plan_quote(plan_code="growth", currency="JPY")
    assert (exc.value.status_code, exc.value.code) == (422, "currency_not_offered")
    assert exc.value.extra["offered_currencies"] == ["EUR", "GBP", "USD"]
    plans.plan_update(code="pro", is_active=False)
    with pytest.raises(ApplicationError) as exc:
        facade.plan_quote(plan_code="pro", currency="EUR")
    assert exc.value.code == "invalid_plan"
    assert facade.plan_quote(plan_code="growth", currency="USD").amount_minor == 3200


def test_the_commission_rate_follows_the_plan_in_force():
    assert dict(Plan.objects.values_list("code", "commission_rate_bp")) == {
        "free": 1500,
        "growth": 1000,
        "pro": 500,
    }
    nobody = uuid.uuid4()
    assert facade.commission_rate_for(vendor_id=nobody) == 1500  # the default (free) plan
    sub = active("growth")
    assert facade.commission_rate_for(vendor_id=sub.vendor_id) == 1000
    plans.plan_update(code="growth", commission_rate_bp=800)
    assert facade.commission_rate_for(vendor_id=sub.vendor_id) == 800


@pytest.mark.parametrize("rate", [-1, 10_001, 10**9])
def test_commission_rates_outside_0_to_10000_basis_points_are_refused(rate):
    with pytest.raises(ApplicationError) as exc:
        plans.plan_update(code="growth", commission_rate_bp=rate)
    assert (exc.value.status_code, exc.value.code) == (400, "validation_error")
    assert Plan.objects.get(code="growth").commission_rate_bp == 1000
