"""The purchase end to end with every moving part a real process: gunicorn serves the
API, the sandbox's hosted page and the webhook endpoint; a Celery worker (prefork) over
RabbitMQ delivers the sandbox webhook and runs the orders handlers
(``EVENT_DISPATCH=celery``, the ``events.orders`` queue among others). The test process
speaks HTTP and reads the database; the scenario is the in-process one's.

The servers' processes, the RabbitMQ virtual host and the wait helpers are the vendor
onboarding end-to-end test's.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connection

from bazaar_platform.events.models import InboxRecord
from contexts.vendors.tests.conftest import signing_key_pem
from tests.conftest import ROOT, free_port
from tests.onboarding.support import Http, wait_for
from tests.onboarding.test_e2e_celery import Process, vhost
from tests.orders.scenario import purchase_end_to_end

pytestmark = [pytest.mark.e2e, pytest.mark.broker, pytest.mark.django_db(transaction=True)]

__all__ = ["vhost"]  # the module-scoped RabbitMQ virtual host fixture

RUN = uuid.uuid4().hex[:8]
QUEUES = (
    "default,events.orders,events.payments,events.vendors,events.subscriptions,events.notifications"
)


def _env(db: dict[str, Any], broker_vhost: str, base: str) -> dict[str, str]:
    return {
        **os.environ,
        "BAZAAR_PROFILE": "services",
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/"
        + ("" if broker_vhost == "/" else broker_vhost),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EVENT_DISPATCH": "celery",
        "EVENT_MAX_ATTEMPTS": "3",
        "EVENT_RETRY_BACKOFF_SECONDS": "0.2",
        "BAZAAR_SITE_URL": base,
        "DJANGO_DEBUG": "true",  # the hosted page's CSRF cookie travels over plain http
        "DJANGO_SECRET_KEY": os.environ.get(
            "DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef"
        ),
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "AUTH_SIGNING_KEY_PEM": signing_key_pem(),
        "AUTH_SIGNING_KEY_FILE": "",
        "AUTH_SIGNING_KEY_GENERATE_FILE": "false",
        "PAYMENTS_GATEWAY": "sandbox",
        "PAYMENTS_SANDBOX_ENABLED": "true",
        "CACHE_KEY_PREFIX": f"orders-{RUN}",
        "RATE_LIMIT_KEY_PREFIX": f"orders-rl-{RUN}",
        "LOG_FORMAT": "json",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'platform'}",
    }


@pytest.fixture(scope="module")
def stack(django_db_setup: Any, django_db_blocker: Any, vhost: str) -> Iterator[Http]:
    with django_db_blocker.unblock():
        db = connection.settings_dict
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(db, vhost, base)
    bin_dir = Path(sys.executable).parent
    web = Process(
        "orders-gunicorn",
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
    worker = Process(
        "orders-celery-worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "prefork",
            "-c",
            "2",
            "-Q",
            QUEUES,
            "-n",
            f"orders-{RUN}@%h",
            "--without-mingle",
            "--without-gossip",
        ],
        env,
    )
    http = Http(base)
    try:
        wait_for(
            lambda: worker.alive() and " ready." in worker.output(), timeout=60, what="the worker"
        )

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
        worker.stop()


def test_purchase_with_events_through_celery_over_rabbitmq(stack: Http) -> None:
    final = purchase_end_to_end(stack, timeout=60)
    assert final["status"] == "completed" and final["refunded_minor"] == 2500
    # the payment reached the order through the worker, once
    handlers = list(InboxRecord.objects.values_list("handler", flat=True))
    assert handlers.count("orders.on_payment_succeeded_confirm_order") == 1
