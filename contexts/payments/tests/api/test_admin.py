"""The staff admin: every payments model is browsable, the two actions work."""

from __future__ import annotations

import io
import uuid

import pytest
from django.test import Client

from bazaar_platform.seeding import SeedContext, seeders
from contexts.payments.models import Payment, SandboxAccount, SandboxCheckout
from contexts.payments.services import sandbox
from contexts.payments.tests.conftest import link, post_sandbox_webhook, sandbox_decision

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def staff(client: Client) -> Client:
    # the demo staff account, created the public way (the auth context's seeder)
    dict(seeders())["auth"](SeedContext(out=io.StringIO(), quiet=True))
    assert client.login(username="admin@bazaar.local", password="bazaar-demo-2026")
    return client


def test_every_payments_admin_page_renders(staff, api):
    result = link()
    hook = sandbox_decision(result.payment_id)
    assert post_sandbox_webhook(api, hook.body, hook.header).status_code == 200
    from contexts.payments import facade

    facade.refund_create(
        payment_id=result.payment_id, amount_minor=100, reason="r", idempotency_key="adm"
    )
    for model in (
        "payment",
        "paymentattempt",
        "webhookevent",
        "refund",
        "sandboxcheckout",
        "sandboxaccount",
        "sandboxrefund",
    ):
        response = staff.get(f"/admin/payments/{model}/")
        assert response.status_code == 200, model
    detail = staff.get(f"/admin/payments/payment/{result.payment_id}/change/")
    assert detail.status_code == 200
    assert b"29.00 EUR" in staff.get("/admin/payments/payment/").content
    assert staff.get("/admin/payments/payment/add/").status_code == 403
    account = staff.get("/admin/payments/sandboxaccount/1/change/")
    assert account.status_code == 200
    assert sandbox.sandbox_webhook_secret().encode() not in account.content


@pytest.mark.broker
def test_the_redeliver_action_sends_the_celery_task_and_rotate_changes_the_secret(
    staff, django_capture_on_commit_callbacks, settings
):
    from celery import current_app

    settings.CELERY_TASK_ALWAYS_EAGER = False  # a worker would deliver: the task goes to RabbitMQ
    queue_name = f"test-payments-{uuid.uuid4().hex}"  # our own queue on the shared broker
    routes = current_app.conf.task_routes
    current_app.conf.task_routes = {"payments.sandbox_deliver_webhook": {"queue": queue_name}}
    # Celery caches its router on first use (an earlier test may have sent a task).
    current_app.amqp.flush_routes()
    current_app.amqp.router = current_app.amqp.Router()
    try:
        with current_app.connection_for_write() as connection:
            queue = connection.SimpleQueue(queue_name)
            result = link()
            sandbox_decision(result.payment_id)
            checkout_id = Payment.objects.get(pk=result.payment_id).gateway_session_id
            with django_capture_on_commit_callbacks(execute=True):
                response = staff.post(
                    "/admin/payments/sandboxcheckout/",
                    {"action": "redeliver_webhook", "_selected_action": [checkout_id]},
                )
            assert response.status_code == 302
            message = queue.get(timeout=10)
            assert message.headers["task"] == "payments.sandbox_deliver_webhook"
            args, _kwargs, _embed = message.decode()
            assert args == [checkout_id]
            message.ack()
            queue.close()
    finally:
        current_app.conf.task_routes = routes
        current_app.amqp.flush_routes()
        current_app.amqp.router = current_app.amqp.Router()
        with current_app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue_name)

    old = sandbox.sandbox_account_ensure().webhook_secret
    response = staff.post(
        "/admin/payments/sandboxaccount/", {"action": "rotate_secret", "_selected_action": ["1"]}
    )
    assert response.status_code == 302
    assert SandboxAccount.objects.get().webhook_secret != old
    assert SandboxCheckout.objects.get(pk=checkout_id).status == "approved"
