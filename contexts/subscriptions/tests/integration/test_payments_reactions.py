"""How subscriptions react to the payments context's events: activation, and robustness
against duplicates, reordering, unknown references and mismatched amounts."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from bazaar_platform.events.models import DeadLetter, InboxRecord
from contexts.subscriptions.models import Charge, Subscription
from contexts.subscriptions.services import billing, lifecycle
from contexts.subscriptions.tests import support

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def pending(plan: str = "growth", currency: str = "EUR") -> Subscription:
    with support.committed():
        return lifecycle.subscription_create(
            vendor_id=uuid.uuid4(),
            plan_code=plan,
            currency=currency,
            billing_email="billing@example.test",
            idempotency_key=str(uuid.uuid4()),
        )


def link(sub: Subscription) -> billing.Checkout:
    checkout = billing.subscription_checkout(subscription_id=sub.pk)
    assert checkout is not None
    return checkout


def test_a_succeeded_payment_activates_the_subscription_once():
    sub = pending()
    checkout = link(sub)
    charge = Charge.objects.get(pk=checkout.charge_id)
    assert (charge.amount_minor, charge.currency, charge.kind) == (2900, "EUR", "initial")
    event = support.succeeded(checkout.payment_id)
    support.deliver(event)
    sub.refresh_from_db()
    assert sub.status == "active"
    assert sub.current_period_start == event.occurred_at
    assert sub.current_period_end is not None
    assert sub.current_period_end.month != sub.current_period_start.month
    charge.refresh_from_db()
    assert (charge.status, charge.paid_payment_id) == ("paid", checkout.payment_id)
    assert (
        len(support.published("subscriptions.subscription_activated", subscription_id=sub.pk)) == 1
    )

    # the same event redelivered (broker redelivery): the inbox skips it
    assert support.redeliver(event) == ["duplicate"]
    assert (
        InboxRecord.objects.filter(
            event_id=event.event_id, handler__startswith="subscriptions."
        ).count()
        == 1
    )
    # a second, distinct success for the same charge (a double payment): no second activation
    support.deliver(support.succeeded(checkout.payment_id))
    assert (
        len(support.published("subscriptions.subscription_activated", subscription_id=sub.pk)) == 1
    )
    assert not DeadLetter.objects.exists()


def test_a_failure_reported_after_the_success_changes_nothing():
    sub = pending()
    checkout = link(sub)
    support.deliver(support.succeeded(checkout.payment_id))
    support.deliver(support.failed(checkout.payment_id))
    sub.refresh_from_db()
    charge = Charge.objects.get(pk=checkout.charge_id)
    assert sub.status == "active"
    assert (charge.status, charge.payment_failed) == ("paid", False)
    assert not DeadLetter.objects.exists()


def test_a_failed_payment_keeps_it_pending_and_the_next_checkout_makes_a_new_link():
    sub = pending()
    first = link(sub)
    assert link(sub).payment_id == first.payment_id  # asking again: the same link
    support.deliver(support.failed(first.payment_id))
    sub.refresh_from_db()
    assert sub.status == "pending_payment"
    assert Charge.objects.get(pk=first.charge_id).payment_failed
    second = link(sub)
    assert second.payment_id != first.payment_id
    assert second.charge_id == first.charge_id
    # the old link failing again (a late duplicate) does not kill the new one
    support.deliver(support.failed(first.payment_id, reason="expired"))
    assert not Charge.objects.get(pk=first.charge_id).payment_failed
    # paying the new link activates
    support.deliver(support.succeeded(second.payment_id))
    sub.refresh_from_db()
    assert sub.status == "active"


def test_a_payment_for_an_unknown_subscription_is_ignored_idempotently():
    unknown = support.succeeded(link(pending()).payment_id, reference_id=uuid.uuid4())
    support.deliver(unknown)
    assert support.redeliver(unknown) == ["duplicate"]
    failed = support.failed(link(pending()).payment_id).model_copy(
        update={"reference_id": uuid.uuid4()}
    )
    support.deliver(failed)
    assert (
        InboxRecord.objects.filter(
            event_id=unknown.event_id, handler__startswith="subscriptions."
        ).count()
        == 1
    )
    assert not DeadLetter.objects.exists()
    assert not Subscription.objects.filter(status="active").exists()


def test_payments_for_other_purposes_are_not_ours():
    sub = pending()
    checkout = link(sub)
    support.deliver(support.succeeded(checkout.payment_id, purpose="order"))
    sub.refresh_from_db()
    assert sub.status == "pending_payment"


def test_a_payment_of_the_wrong_amount_or_currency_does_not_activate():
    sub = pending()
    checkout = link(sub)
    support.deliver(support.succeeded(checkout.payment_id, amount_minor=1))
    support.deliver(support.succeeded(checkout.payment_id, currency="USD"))
    sub.refresh_from_db()
    assert sub.status == "pending_payment"
    assert Charge.objects.get(pk=checkout.charge_id).status == "open"


def test_a_payment_for_an_abandoned_subscription_does_not_revive_it():
    sub = pending()
    checkout = link(sub)
    with support.committed():
        assert lifecycle.subscription_abandon(subscription_id=sub.pk)
    support.deliver(support.succeeded(checkout.payment_id))
    sub.refresh_from_db()
    assert sub.status == "cancelled"
    assert Charge.objects.get(pk=checkout.charge_id).status == "void"


def test_out_of_order_success_then_stale_link_failure_with_old_timestamp():
    sub = pending()
    checkout = link(sub)
    success = support.succeeded(checkout.payment_id)
    failure = support.failed(checkout.payment_id)
    # the failure carries an older timestamp but arrives second
    support.deliver(success)
    support.deliver(failure, occurred_at=timezone.now() - timedelta(minutes=5))
    sub.refresh_from_db()
    assert sub.status == "active"
