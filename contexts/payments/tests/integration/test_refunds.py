"""Refunds through the facade (sandbox gateway): limits, idempotency, state."""

from __future__ import annotations

import uuid

import pytest

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from contexts.payments import facade
from contexts.payments.models import Payment, Refund, SandboxRefund
from contexts.payments.tests.conftest import link, outbox, post_sandbox_webhook, sandbox_decision

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def paid(api) -> facade.PaymentLink:
    result = link(amount_minor=5000)
    hook = sandbox_decision(result.payment_id)
    assert post_sandbox_webhook(api, hook.body, hook.header).status_code == 200
    return result


def _refund(payment_id: uuid.UUID, amount: int, key: str, reason: str = "customer asked"):
    return facade.refund_create(
        payment_id=payment_id, amount_minor=amount, reason=reason, idempotency_key=key
    )


def test_partial_then_full_refund(paid):
    first = _refund(paid.payment_id, 2000, "a")
    assert (first.status, first.amount_minor, first.currency) == ("succeeded", 2000, "EUR")
    summary = facade.payment_get(payment_id=paid.payment_id)
    assert summary is not None
    assert (summary.status, summary.refunded_minor) == ("partially_refunded", 2000)
    second = _refund(paid.payment_id, 3000, "b")
    assert second.status == "succeeded"
    summary = facade.payment_get(payment_id=paid.payment_id)
    assert summary is not None
    assert (summary.status, summary.refunded_minor) == ("refunded", 5000)
    events = outbox("payments.refund_succeeded", paid.payment_id)
    assert [
        (e["amount_minor"], e["refunded_total_minor"], e["payment_status"]) for e in events
    ] == [
        (2000, 2000, "partially_refunded"),
        (3000, 5000, "refunded"),
    ]
    assert SandboxRefund.objects.count() == 2


def test_a_refund_above_what_is_left_is_a_422_and_writes_nothing(paid):
    _refund(paid.payment_id, 4000, "a")
    with pytest.raises(ApplicationError) as caught:
        _refund(paid.payment_id, 1001, "b")
    assert (caught.value.status_code, caught.value.code) == (422, "refund_exceeds_refundable")
    assert caught.value.fields == {"amount_minor": ["Must be at most 1000."]}
    assert Refund.objects.count() == 1
    assert Payment.objects.get(pk=paid.payment_id).refunded_minor == 4000


def test_a_refund_above_the_payment_is_refused(paid):
    with pytest.raises(ApplicationError) as caught:
        _refund(paid.payment_id, 5001, "too-much")
    assert caught.value.code == "refund_exceeds_refundable"
    assert not Refund.objects.exists()


@pytest.mark.parametrize(("amount", "code"), [(0, "invalid_amount"), (-100, "invalid_amount")])
def test_non_positive_refunds_are_refused(paid, amount, code):
    with pytest.raises(ApplicationError) as caught:
        _refund(paid.payment_id, amount, "neg")
    assert (caught.value.status_code, caught.value.code) == (400, code)
    assert not Refund.objects.exists()


def test_a_pending_payment_cannot_be_refunded():
    result = link()
    with pytest.raises(ConflictError) as caught:
        _refund(result.payment_id, 100, "early")
    assert caught.value.code == "payment_not_refundable"
    assert not Refund.objects.exists()


def test_an_unknown_payment_is_404():
    with pytest.raises(NotFoundError):
        _refund(uuid.uuid4(), 100, "nobody")


def test_refunds_are_idempotent_per_key(paid):
    first = _refund(paid.payment_id, 1000, "same")
    again = _refund(paid.payment_id, 1000, "same")
    assert first == again
    assert Refund.objects.count() == 1
    assert Payment.objects.get(pk=paid.payment_id).refunded_minor == 1000
    with pytest.raises(ConflictError) as caught:
        _refund(paid.payment_id, 1500, "same")
    assert caught.value.code == "idempotency_key_reused"
