"""Vendor onboarding end to end with every moving part a real process:

* a gunicorn server (the API, the sandbox's hosted page, the webhook endpoint),
* a Celery worker (``celery -A config worker``, prefork pool) consuming
  ``default,events.subscriptions,events.vendors`` over RabbitMQ,
* ``EVENT_DISPATCH=celery`` in both, on a RabbitMQ virtual host of this test run.

The payer approves on the hosted page; the server queues the sandbox's webhook delivery
on ``default``; the worker POSTs the signed webhook to the server; payments publishes
``payments.payment_succeeded``; the Celery dispatcher queues the subscriptions handler on
``events.subscriptions``; the worker activates the subscription, whose
``subscriptions.subscription_activated`` goes to ``events.vendors``; the worker
activates the vendor. The test process only speaks HTTP and reads the database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connection

from bazaar_platform.events.models import InboxRecord, OutboxMessage
from contexts.subscriptions.models import Subscription
from contexts.subscriptions.services.plans import plan_ensure_defaults
from contexts.vendors.models import Vendor
from contexts.vendors.tests.conftest import signing_key_pem
from tests.conftest import ROOT, free_port
from tests.onboarding.support import Http, sandbox_decide, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.broker, pytest.mark.django_db(transaction=True)]

RUN = uuid.uuid4().hex[:8]
QUEUES = "default,events.subscriptions,events.vendors"
LOG_DIR = ROOT / "artifacts" / "onboarding"


class Process:
    """A subprocess in its own process group (a worker's children stop with it)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log = LOG_DIR / f"{name}-{RUN}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited:\n{self.output()[-4000:]}")
        return True

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def vhost() -> Iterator[str]:
    """A RabbitMQ virtual host of this run, so its queues collide with nobody's
    (``rabbitmqctl`` on this machine). Where ``rabbitmqctl`` cannot reach the broker (a
    broker in a container), ``BAZAAR_TEST_RABBITMQ_VHOST`` (default ``/``) is used and this
    run's queues are purged first: run nothing else on those queues meanwhile."""
    name = f"bazaar-onboarding-{RUN}"
    try:
        if shutil.which("rabbitmqctl") is None:
            raise FileNotFoundError("rabbitmqctl")
        _rabbitmqctl("add_vhost", name)
        _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    except (OSError, subprocess.SubprocessError):
        shared = os.environ.get("BAZAAR_TEST_RABBITMQ_VHOST", "/")
        _purge(shared)
        yield shared
        return
    yield name
    _rabbitmqctl("delete_vhost", name)


def _purge(vhost: str) -> None:
    from kombu import Connection, Queue

    path = "" if vhost == "/" else vhost
    with Connection(f"amqp://guest:guest@127.0.0.1:5672/{path}") as conn:
        channel = conn.channel()
        for queue in QUEUES.split(","):
            with contextlib.suppress(Exception):
                Queue(queue)(channel).purge()


@pytest.fixture(scope="module")
def stack(django_db_setup: Any, django_db_blocker: Any, vhost: str) -> Iterator[Http]:
    with django_db_blocker.unblock():
        db = connection.settings_dict
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "BAZAAR_PROFILE": "services",
        "DATABASE_URL": (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:5672/{'' if vhost == '/' else vhost}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EVENT_DISPATCH": "celery",
        "EVENT_MAX_ATTEMPTS": "3",
        "EVENT_RETRY_BACKOFF_SECONDS": "0.2",
        "BAZAAR_SITE_URL": base,
        # the hosted page's CSRF cookie must travel over plain http here
        "DJANGO_DEBUG": "true",
        "DJANGO_SECRET_KEY": os.environ.get(
            "DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef"
        ),
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "AUTH_SIGNING_KEY_PEM": signing_key_pem(),
        "AUTH_SIGNING_KEY_FILE": "",
        "AUTH_SIGNING_KEY_GENERATE_FILE": "false",
        "PAYMENTS_GATEWAY": "sandbox",
        "PAYMENTS_SANDBOX_ENABLED": "true",
        "CACHE_KEY_PREFIX": f"onboarding-{RUN}",
        "RATE_LIMIT_KEY_PREFIX": f"onboarding-rl-{RUN}",
        "LOG_FORMAT": "json",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'platform'}",
    }
    bin_dir = Path(sys.executable).parent
    web = Process(
        "gunicorn",
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
        "celery-worker",
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
            f"onboarding-{RUN}@%h",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "INFO",
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
        http.worker = worker  # type: ignore[attr-defined]
        yield http
    finally:
        http.close()
        web.stop()
        worker.stop()


def test_onboarding_with_events_through_celery_over_rabbitmq(stack):
    plan_ensure_defaults()
    result, body, _ = stack.register(plan="growth")
    assert result["subscription"]["status"] == "pending_payment"
    stack.login(body["email"])
    assert stack.data("GET", "/api/v1/vendors/me")["vendor"]["status"] == "pending"

    decided = sandbox_decide(result["payment"]["url"], "approve")
    assert decided.status_code == 302

    wait_for(
        lambda: stack.data("GET", "/api/v1/vendors/me")["vendor"]["status"] == "active",
        timeout=60,
        what="the vendor to be activated through the worker",
    )
    sub = Subscription.objects.get(pk=result["subscription"]["id"])
    assert sub.status == "active"
    # each hop went through its context's Celery queue and ran once
    handlers = set(InboxRecord.objects.values_list("handler", flat=True))
    assert {
        "subscriptions.on_payment_succeeded_pay_charge",
        "vendors.on_subscription_activated_activate_vendor",
    } <= handlers
    activated = OutboxMessage.objects.get(event_type="subscriptions.subscription_activated")
    assert activated.dispatched_at is not None
    # ... in the worker process (its log names the tasks and the handlers they ran)
    # (the log line follows the commit that the API already shows: poll for it)
    wait_for(
        lambda: (
            '"handler": "vendors.on_subscription_activated_activate_vendor"'
            in stack.worker.output()
        ),
        timeout=30,
        what="the worker's log line for the vendor handler",
    )
    log = stack.worker.output()
    assert "Task payments.sandbox_deliver_webhook" in log
    assert '"handler": "subscriptions.on_payment_succeeded_pay_charge"' in log

    for n in range(2):
        created = stack.call(
            "POST",
            "/api/v1/vendors/stores/create",
            {"name": f"Branch {n}", "slug": f"{body['store']['slug']}-{n}", "currency": "EUR"},
        )
        assert created.status_code == 201, created.text
    refused = stack.call(
        "POST",
        "/api/v1/vendors/stores/create",
        {"name": "Fourth", "slug": f"{body['store']['slug']}-x", "currency": "EUR"},
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "plan_limit_reached"
    # the usage read model was fed through the worker too
    wait_for(
        lambda: (
            {
                r["resource"]: r["used"]
                for r in stack.data("GET", "/api/v1/subscriptions/usage")["resources"]
            }["stores"]
            == 3
        ),
        timeout=30,
        what="the usage read model to count 3 stores",
    )
    assert Vendor.objects.get().status == "active"
