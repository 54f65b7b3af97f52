"""Races on real PostgreSQL (committed transactions, one connection per thread)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from bazaar_platform.api.errors import ApplicationError
from contexts.payments import facade
from contexts.payments.models import Payment, Refund, SandboxCheckout
from contexts.payments.services import sandbox
from contexts.payments.services.webhooks import webhook_receive
from contexts.payments.tests.conftest import link

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _race(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # the outcome under test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_concurrent_calls_with_one_key_make_one_payment():
    reference = uuid.uuid4()
    results = _race(6, lambda _: link(reference_id=reference, idempotency_key="race-link"))
    assert all(isinstance(r, facade.PaymentLink) for r in results), results
    assert len({r.payment_id for r in results}) == 1
    assert len({r.url for r in results}) == 1
    assert Payment.objects.count() == 1
    assert SandboxCheckout.objects.count() == 1


def test_concurrent_refunds_never_exceed_the_payment():
    result = link(amount_minor=5000)
    checkout = sandbox.sandbox_checkout_decide(
        checkout_id=Payment.objects.get(pk=result.payment_id).gateway_session_id, approve=True
    )
    body = sandbox.sandbox_webhook_body(checkout)
    header = sandbox.sandbox_sign(body=body, secret=sandbox.sandbox_webhook_secret())
    webhook_receive(gateway="sandbox", body=body, headers={"Bazaar-Sandbox-Signature": header})

    results = _race(
        8,
        lambda i: facade.refund_create(
            payment_id=result.payment_id, amount_minor=1000, reason="race", idempotency_key=f"r{i}"
        ),
    )
    succeeded = [r for r in results if isinstance(r, facade.RefundSummary)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(succeeded) == 5, results
    assert len(refused) == 3
    # A loser that locks the payment after the fifth refund finds it fully refunded
    # ("payment_not_refundable"); one that locks it earlier finds the amount too high.
    # Both are the same refusal; which one depends on the threads' timing.
    assert {e.code for e in refused} <= {"refund_exceeds_refundable", "payment_not_refundable"}
    payment = Payment.objects.get(pk=result.payment_id)
    assert (payment.refunded_minor, payment.status) == (5000, "refunded")
    assert Refund.objects.filter(status="succeeded").count() == 5


def test_the_same_webhook_delivered_concurrently_is_applied_once():
    from bazaar_platform.events.models import OutboxMessage

    result = link()
    checkout = sandbox.sandbox_checkout_decide(
        checkout_id=Payment.objects.get(pk=result.payment_id).gateway_session_id, approve=True
    )
    body = sandbox.sandbox_webhook_body(checkout)
    secret = sandbox.sandbox_webhook_secret()

    now = int(time.time())

    def deliver(i: int) -> str:
        # distinct signature timestamps: each is a legitimate (re)delivery
        header = sandbox.sandbox_sign(body=body, secret=secret, timestamp=now - i)
        return webhook_receive(
            gateway="sandbox", body=body, headers={"Bazaar-Sandbox-Signature": header}
        ).status

    statuses = _race(5, deliver)
    assert sorted(statuses) == ["duplicate"] * 4 + ["processed"], statuses
    assert OutboxMessage.objects.filter(event_type="payments.payment_succeeded").count() == 1
