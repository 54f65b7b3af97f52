"""``manage.py relay_outbox``: a long-running relay woken by PostgreSQL NOTIFY, retrying
while the broker is down, stopping cleanly on SIGTERM; and the Celery beat sweep."""

from __future__ import annotations

import signal
import sys
import time
import uuid

import pytest
from django.conf import settings as django_settings

from bazaar_platform.events.models import OutboxMessage
from tests.conftest import free_port
from tests.events.conftest import RABBITMQ_URL, ManagedProcess, note_rows, publish_notes, wait_until
from tests.events.proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.broker]


@pytest.fixture
def relay(subprocess_env, rabbit_consumer, settings):
    """A relay pointed at a port where nothing listens yet (the broker is "down")."""
    settings.EVENT_RELAY_INLINE = False  # only the relay process delivers
    port = free_port()
    env = {
        **subprocess_env,
        "EVENT_DISPATCH": "broker",
        "EVENT_BROKER": "rabbitmq",
        "EVENT_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{port}//",
        "EVENT_RELAY_INLINE": "false",  # the relay is the deliverer: no grace
        "EVENT_RELAY_POLL_SECONDS": "60",  # only NOTIFY can wake it quickly
        "EVENT_RELAY_MAX_BACKOFF_SECONDS": "0.5",
        "LOG_LEVEL": "DEBUG",  # for the relay_idle line
    }
    process = ManagedProcess("relay", [sys.executable, "manage.py", "relay_outbox"], env).start()
    proxy = TcpProxy(port, ("127.0.0.1", 5672))
    process.wait_for_output("relay_outbox: broker dispatch, LISTEN/NOTIFY")
    yield process, proxy
    process.stop()
    proxy.stop()


@pytest.mark.django_db(transaction=True)
def test_relay_retries_until_the_broker_is_back_then_is_woken_by_notify(relay):
    process, proxy = relay
    note_id = uuid.uuid4()
    events = publish_notes(note_id, 3)
    rows = OutboxMessage.objects.filter(event_id__in=[e.event_id for e in events])
    wait_until(lambda: rows.filter(attempts__gte=2).exists(), what="the relay to fail twice")
    assert rows.filter(dispatched_at__isnull=True).count() == 3
    assert note_rows(note_id) == []

    proxy.start()  # the broker is reachable again
    wait_until(lambda: len(note_rows(note_id)) == 3, timeout=30, what="the backlog")
    assert [r[1] for r in note_rows(note_id)] == [0, 1, 2]
    assert not rows.filter(dispatched_at__isnull=True).exists()

    # Idle once at start-up, and again only after the backlog went through.
    wait_until(lambda: process.output().count('"relay_idle"') >= 2, what="the relay to go idle")
    started = time.monotonic()
    publish_notes(note_id, 1)  # its commit NOTIFYs the sleeping relay
    wait_until(lambda: len(note_rows(note_id)) == 4, timeout=30, what="the notified event")
    assert time.monotonic() - started < 10  # far below the 60 s poll: NOTIFY woke it

    assert process.stop(signal.SIGTERM) == 0
    assert "relay_outbox: stopped (SIGTERM)" in process.output()


@pytest.mark.django_db
def test_beat_schedules_the_relay_sweep_and_the_task_delivers_pending_events(settings):
    from bazaar_platform.events.tasks import relay_outbox

    entry = django_settings.CELERY_BEAT_SCHEDULE["bazaar.events.relay_outbox"]
    assert entry["task"] == relay_outbox.name == "bazaar.events.relay_outbox"
    settings.EVENT_RELAY_INLINE = False
    note_id = uuid.uuid4()
    publish_notes(note_id, 2)
    assert relay_outbox.apply().get() == 2
    assert [r[1] for r in note_rows(note_id)] == [0, 1]


def test_readyz_checks_the_event_broker(client, settings, db):
    settings.EVENT_DISPATCH = "broker"
    settings.EVENT_BROKER = "rabbitmq"
    settings.EVENT_BROKER_URL = RABBITMQ_URL
    assert "event_broker" in client.get("/readyz").json()["data"]["checks"]
    settings.EVENT_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{free_port()}//"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "event_broker" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_with_the_fast_path_on_the_sweep_leaves_young_events_to_it(settings):
    from datetime import timedelta

    from django.utils import timezone

    from bazaar_platform.events.tasks import relay_outbox

    settings.EVENT_RELAY_INLINE = False
    note_id = uuid.uuid4()
    events = publish_notes(note_id, 2)  # pending, as if their fast path had failed
    settings.EVENT_RELAY_INLINE = True
    settings.EVENT_RELAY_INLINE_GRACE_SECONDS = 60.0
    assert relay_outbox.apply().get() == 0  # young: still the fast path's
    OutboxMessage.objects.filter(event_id__in=[e.event_id for e in events]).update(
        created_at=timezone.now() - timedelta(seconds=61)
    )
    assert relay_outbox.apply().get() == 2  # older than the grace: swept
    assert [r[1] for r in note_rows(note_id)] == [0, 1]
