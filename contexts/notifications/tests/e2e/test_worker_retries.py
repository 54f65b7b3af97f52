"""Delivery through a real Celery worker over RabbitMQ: a busy SMTP server (451) makes the
task retry with exponential backoff (a real countdown on the broker), then it succeeds."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import current_app
from django.conf import settings
from django.db import connection

from contexts.notifications.models import Category, Channel, Delivery
from contexts.notifications.services import Bodies, Recipient, message_accept
from contexts.notifications.tests.fakes import SmtpServer, smtp_server
from tests.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.broker, pytest.mark.django_db(transaction=True)]

BACKOFF = 0.5


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"test-notifications-{uuid.uuid4().hex[:8]}"
    yield name
    with current_app.connection_for_write() as conn:
        conn.default_channel.queue_delete(name)  # type: ignore[attr-defined]


@pytest.fixture
def busy_smtp(smtp_port: int) -> Iterator[SmtpServer]:
    with smtp_server(smtp_port) as box:
        box.busy_next = 2
        yield box


@pytest.fixture
def worker(queue: str, busy_smtp: SmtpServer, tmp_path: Path) -> Iterator[None]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "BAZAAR_PROFILE": "services",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": f"smtp://{busy_smtp.host}:{busy_smtp.port}",
        "NOTIFICATIONS_TASK_QUEUE": queue,
        "NOTIFICATIONS_RETRY_BACKOFF_SECONDS": str(BACKOFF),
        "PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-P", "solo",
         "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while "ready." not in log_path.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the worker did not start: {log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    try:
        yield
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def test_a_busy_smtp_server_is_retried_by_the_worker_with_backoff(
    settings, queue, busy_smtp, worker
):
    settings.NOTIFICATIONS_TASK_QUEUE = queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False  # go through RabbitMQ to the worker
    try:
        notification = message_accept(
            source_event_id=uuid.uuid4(),
            source="test.event",
            kind="test_kind",
            category=Category.ORDERS,
            recipient=Recipient(email="ada@example.com"),
            channels=[Channel.EMAIL],
            bodies=Bodies(subject="Hello", email_html="<p>Hello</p>", email_text="Hello"),
        )
    finally:
        current_app.conf.task_always_eager = eager
    delivery = notification.deliveries.get()
    deadline = time.monotonic() + 60
    while Delivery.objects.get(pk=delivery.pk).status == "pending":
        assert time.monotonic() < deadline, "the worker did not deliver within 60 s"
        time.sleep(0.2)
    delivery.refresh_from_db()
    attempts = list(delivery.attempt_log.order_by("number"))
    assert delivery.status == "sent"
    assert [a.outcome for a in attempts] == ["transient_error", "transient_error", "success"]
    assert [a.retry_in_seconds for a in attempts] == [BACKOFF, 2 * BACKOFF, None]
    # The broker really waited: each retry started no earlier than its countdown.
    gaps = [
        (later.started_at - earlier.finished_at).total_seconds()
        for earlier, later in itertools.pairwise(attempts)
    ]
    assert gaps[0] >= BACKOFF * 0.9 and gaps[1] >= 2 * BACKOFF * 0.9, gaps
    assert len(busy_smtp.messages) == 1
