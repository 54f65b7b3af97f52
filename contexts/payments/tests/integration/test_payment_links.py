"""payment_link_create / payment_get / payments_for_reference through the facade (sandbox)."""

from __future__ import annotations

import uuid

import pytest

from bazaar_platform.api.errors import ApplicationError, ConflictError
from contexts.payments import facade
from contexts.payments.models import Payment, PaymentAttempt, SandboxAccount, SandboxCheckout
from contexts.payments.tests.conftest import link

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_link_points_at_the_sandbox_hosted_page(settings):
    reference = uuid.uuid4()
    result = link(reference_id=reference, amount_minor=2900, currency="eur")
    assert result.status == "pending"
    assert result.gateway == "sandbox"
    assert (result.amount_minor, result.currency) == (2900, "EUR")
    payment = Payment.objects.get(pk=result.payment_id)
    assert result.url == (
        f"{settings.SITE_URL}/api/v1/payments/sandbox/{payment.gateway_session_id}"
    )
    checkout = SandboxCheckout.objects.get(pk=payment.gateway_session_id)
    assert checkout.client_reference_id == str(result.payment_id)
    assert (checkout.amount_minor, checkout.currency) == (2900, "EUR")
    attempt = PaymentAttempt.objects.get(payment=payment)
    assert attempt.status == "succeeded"
    assert attempt.gateway_session_id == payment.gateway_session_id
    summary = facade.payment_get(payment_id=result.payment_id)
    assert summary is not None
    assert (summary.purpose, summary.reference_id, summary.status) == (
        "subscription",
        reference,
        "pending",
    )
    assert summary.id == summary.payment_id
    assert summary.refunded_minor == 0


def test_the_same_key_and_arguments_give_the_same_link_and_create_nothing_twice():
    arguments = {"reference_id": uuid.uuid4(), "idempotency_key": "onboarding-42"}
    first = link(**arguments)
    second = link(**arguments)
    assert first == second
    assert Payment.objects.count() == 1
    assert SandboxCheckout.objects.count() == 1
    assert PaymentAttempt.objects.count() == 1


def test_the_same_key_with_other_arguments_is_a_conflict():
    reference = uuid.uuid4()
    link(reference_id=reference, idempotency_key="k-1", amount_minor=2900)
    with pytest.raises(ConflictError) as caught:
        link(reference_id=reference, idempotency_key="k-1", amount_minor=3900)
    assert caught.value.status_code == 409
    assert caught.value.code == "idempotency_key_reused"
    assert Payment.objects.count() == 1
    assert Payment.objects.get().amount_minor == 2900


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"amount_minor": -5}, "amount_minor", "invalid_amount"),
        ({"amount_minor": 0}, "amount_minor", "invalid_amount"),
        ({"amount_minor": 10**13}, "amount_minor", "amount_too_large"),
        ({"currency": "EURO"}, "currency", "unknown_currency"),
        ({"currency": "ABC"}, "currency", "unknown_currency"),
        ({"purpose": "Not A Slug"}, "purpose", "validation_error"),
        ({"payer_email": "not-an-email"}, "payer_email", "validation_error"),
        ({"description": ""}, "description", "validation_error"),
        ({"success_url": "javascript:alert(1)"}, "success_url", "validation_error"),
        ({"idempotency_key": ""}, "idempotency_key", "invalid_idempotency_key"),
        ({"reference_id": "not-a-uuid"}, "reference_id", "validation_error"),
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(overrides, field, code):
    with pytest.raises(ApplicationError) as caught:
        link(**overrides)
    assert caught.value.status_code == 400
    assert caught.value.code == code
    assert field in caught.value.fields
    assert not Payment.objects.exists()
    assert not PaymentAttempt.objects.exists()
    assert not SandboxCheckout.objects.exists()


def test_payments_for_reference_lists_every_attempt_at_paying_oldest_first():
    reference = uuid.uuid4()
    first = link(reference_id=reference, idempotency_key="r-1")
    second = link(reference_id=reference, idempotency_key="r-2")
    link(idempotency_key="other")
    found = facade.payments_for_reference(purpose="subscription", reference_id=reference)
    assert [p.payment_id for p in found] == [first.payment_id, second.payment_id]
    assert facade.payments_for_reference(purpose="order", reference_id=reference) == []


def test_unknown_payment_is_none():
    assert facade.payment_get(payment_id=uuid.uuid4()) is None


def test_payer_user_id_is_stored():
    user_id = uuid.uuid4()
    result = link(payer_user_id=user_id)
    summary = facade.payment_get(payment_id=result.payment_id)
    assert summary is not None
    assert summary.payer_user_id == user_id


def test_the_sandbox_secret_is_generated_once_and_the_setting_overrides_it(settings):
    from contexts.payments.services.sandbox import sandbox_webhook_secret

    first = sandbox_webhook_secret()
    assert first.startswith("sbxsec_")
    assert len(first) > 40
    assert sandbox_webhook_secret() == first
    assert SandboxAccount.objects.count() == 1
    settings.PAYMENTS_SANDBOX_WEBHOOK_SECRET = "configured-secret"
    assert sandbox_webhook_secret() == "configured-secret"


def test_the_seeder_sets_up_the_sandbox_gateway_idempotently():
    import io

    from bazaar_platform.seeding import SeedContext, seeders

    names = [name for name, _ in seeders()]
    assert "payments" in names
    seeder = dict(seeders())["payments"]
    out = io.StringIO()
    seeder(SeedContext(out=out, quiet=False))
    seeder(SeedContext(out=out, quiet=False))
    assert SandboxAccount.objects.count() == 1
    assert "/api/v1/payments/webhooks/sandbox" in out.getvalue()
