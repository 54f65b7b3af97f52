"""The purchase end to end with the events on Kafka (the Kafka-protocol broker Tansu):
gunicorn serves the API, the sandbox's hosted page and the webhook endpoint, and
publishes committed events from its outbox to Kafka (``EVENT_DISPATCH=broker``,
``EVENT_BROKER=kafka``: the native consumers, what ADR 0008 recommends for Kafka rather
than Celery over Kafka); one ``manage.py consume_events`` process per consuming context
on the purchase's money path (orders: the payment confirms the order; ledger: the paid
order and the refund are booked) reads its consumer group. The sandbox's webhook comes
back over HTTP from gunicorn's delivery thread (Celery eager: no Celery broker at all).
The test process speaks HTTP and reads the database; the scenario is the in-process and
RabbitMQ runs' one.

The broker: ``BAZAAR_TEST_KAFKA_BOOTSTRAP`` (``make test`` starts one Tansu for the
run), else a Tansu of this module on a free port, stopped at its end. Topics and
consumer groups are named under an event namespace of this run, so nothing collides
with another run on the same broker.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connection

from bazaar_platform.events.models import DeadLetter, InboxRecord
from tests.conftest import free_port
from tests.onboarding.support import Http, wait_for
from tests.onboarding.test_e2e_celery import Process
from tests.orders.scenario import purchase_end_to_end
from tests.orders.test_e2e_celery import _env
from tests.support.kafka import kafka_answers, tansu_binary

pytestmark = [pytest.mark.e2e, pytest.mark.broker, pytest.mark.django_db(transaction=True)]

RUN = uuid.uuid4().hex[:8]
NAMESPACE = f"bazaar-orders-e2e-{RUN}"
CONSUMING = ("orders", "ledger")


@pytest.fixture(scope="module")
def kafka() -> Iterator[str]:
    shared = os.environ.get("BAZAAR_TEST_KAFKA_BOOTSTRAP")
    if shared:
        wait_for(lambda: kafka_answers(shared), timeout=10, what=f"Kafka at {shared}")
        yield shared
        return
    address = f"127.0.0.1:{free_port()}"
    tansu = Process(
        f"orders-tansu-{RUN}",
        [
            tansu_binary(),
            "broker",
            "--listener-url",
            f"tcp://{address}",
            "--advertised-listener-url",
            f"tcp://{address}",
            "--storage-engine",
            "memory://tansu/",
        ],
        dict(os.environ),
    )
    try:
        wait_for(lambda: kafka_answers(address), timeout=30, what="Tansu to answer")
        yield address
    finally:
        tansu.stop()


@pytest.fixture(scope="module")
def stack(django_db_setup: Any, django_db_blocker: Any, kafka: str) -> Iterator[Http]:
    with django_db_blocker.unblock():
        db = connection.settings_dict
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **_env(db, "/", base),
        "EVENT_DISPATCH": "broker",
        "EVENT_BROKER": "kafka",
        "EVENT_BROKER_URL": kafka,
        "EVENT_NAMESPACE": NAMESPACE,
        "EVENT_KAFKA_SESSION_TIMEOUT_MS": "6000",
        "CELERY_TASK_ALWAYS_EAGER": "true",  # the sandbox webhook from a thread
    }
    bin_dir = Path(sys.executable).parent
    consumers = [
        Process(
            f"orders-kafka-consume-{context}",
            [sys.executable, "manage.py", "consume_events", "--context", context],
            env,
        )
        for context in CONSUMING
    ]
    web = Process(
        "orders-kafka-gunicorn",
        [
            str(bin_dir / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "60",
        ],
        env,
    )
    http = Http(base)
    try:

        def subscribed(consumer: Process) -> bool:
            return consumer.alive() and "consume_events: context" in consumer.output()

        for consumer in consumers:
            wait_for(functools.partial(subscribed, consumer), timeout=90, what=consumer.name)

        def web_up() -> bool:
            web.alive()
            with contextlib.suppress(requests.RequestException):
                return requests.get(f"{base}/healthz", timeout=2).status_code == 200
            return False

        wait_for(web_up, timeout=60, what="gunicorn")
        yield http
    finally:
        http.close()
        web.stop()
        for consumer in consumers:
            consumer.stop()


@pytest.fixture(autouse=True)
def _server_password_hashers(settings: Any) -> None:
    """Accounts made here must log in at gunicorn, which hashes as the project does."""
    from django.conf import global_settings

    from config import settings as project

    settings.PASSWORD_HASHERS = getattr(
        project, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS
    )


def _handled(handler: str) -> int:
    return InboxRecord.objects.filter(handler=handler).count()


def test_purchase_with_events_through_kafka_consumers(stack: Http) -> None:
    final = purchase_end_to_end(stack, timeout=90)
    assert final["status"] == "completed" and final["refunded_minor"] == 2500
    # the payment reached the order through the orders consumer group, once
    assert _handled("orders.on_payment_succeeded_confirm_order") == 1
    # the ledger's consumer group booked the paid order and the refund, once each
    wait_for(
        lambda: (
            _handled("ledger.on_order_paid_post_sales") == 1
            and _handled("ledger.on_refund_issued_post_reversal") == 1
        ),
        timeout=60,
        what="the ledger consumer to book the payment and the refund",
    )
    assert not DeadLetter.objects.exists()
