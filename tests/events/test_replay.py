"""Replay: re-dispatch stored events to rebuild a read model, from the outbox log (any
transport) and from Kafka by rewinding the context's consumer group."""

from __future__ import annotations

import signal
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from bazaar_platform.events.models import InboxRecord
from tests.events.conftest import handler_attempts, note_rows, publish_notes, wait_until
from tests.events.support import CONTEXT

pytestmark = [pytest.mark.integration]

RECORD = f"{CONTEXT}.record_note"
AUDIT = f"{CONTEXT}.audit_note"


def _wipe(note_ids, handler: str = "record_note") -> None:
    """Lose the read model, as when it is rebuilt from scratch."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM evtest_notes WHERE handler = %s AND note_id = ANY(%s)",
            [handler, list(note_ids)],
        )


def _replay(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("replay_events", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_outbox_replay_rebuilds_one_handlers_projection_in_order():
    a, b = uuid.uuid4(), uuid.uuid4()
    since = timezone.now()
    publish_notes(a, 3)
    publish_notes(b, 2)
    _wipe([a, b])
    out, _ = _replay("--handler", RECORD, "--since", since.isoformat())
    assert "replayed 5 event(s)" in out and "applied 5" in out
    assert [r[1] for r in note_rows(a)] == [0, 1, 2]
    assert [r[1] for r in note_rows(b)] == [0, 1]
    assert len(note_rows(a, "audit_note")) == 3  # the other handler was not replayed


@pytest.mark.django_db
def test_outbox_replay_filters_by_event_id_type_and_time_window():
    note_id = uuid.uuid4()
    first = publish_notes(note_id, 2)
    middle = timezone.now()
    later = publish_notes(note_id, 2)
    _wipe([note_id])
    _replay("--handler", RECORD, "--until", middle.isoformat(), "--type", "evtest.note_recorded")
    assert [r[0] for r in note_rows(note_id)] == [e.event_id for e in first]
    _replay("--handler", RECORD, "--event-id", str(later[1].event_id))
    assert [r[0] for r in note_rows(note_id)] == [*(e.event_id for e in first), later[1].event_id]
    out, _ = _replay("--handler", RECORD, "--type", "evtest.note_archived")
    assert "replayed 0 event(s)" in out


@pytest.mark.django_db
def test_context_replay_with_progress_bar_and_dry_run():
    notes = [uuid.uuid4() for _ in range(60)]
    since = timezone.now()
    for note_id in notes:
        publish_notes(note_id, 2)
    out, _ = _replay("--context", CONTEXT, "--since", since.isoformat(), "--dry-run")
    assert out.startswith("would replay 120 stored event(s)")
    _wipe(notes)
    _wipe(notes, "audit_note")
    out, err = _replay("--context", CONTEXT, "--since", since.isoformat())
    assert "replayed 120 event(s)" in out and "applied 240" in out
    assert "replay: 100%" in err and "120/120" in err  # tqdm on stderr
    assert all(len(note_rows(n)) == 2 and len(note_rows(n, "audit_note")) == 2 for n in notes)


@pytest.mark.django_db
def test_replay_rejects_bad_arguments():
    with pytest.raises(CommandError, match="unknown_handler"):
        _replay("--handler", "nobody.nothing")
    with pytest.raises(CommandError, match="subscribes to no events"):
        _replay("--context", "no_such_context")
    with pytest.raises(CommandError, match="not a date"):
        _replay("--handler", RECORD, "--since", "yesterday-ish")
    with pytest.raises(CommandError, match="need --source outbox"):
        _replay("--handler", RECORD, "--source", "kafka", "--until", "2026-01-01")


@pytest.mark.broker
@pytest.mark.kafka
@pytest.mark.django_db(transaction=True)
def test_kafka_replay_rewinds_the_group_to_since_and_the_consumer_rebuilds(
    settings, kafka_bootstrap, kafka_consumer
):
    settings.EVENT_DISPATCH, settings.EVENT_BROKER = "broker", "kafka"
    settings.EVENT_BROKER_URL = kafka_bootstrap
    note_id = uuid.uuid4()
    early = publish_notes(note_id, 2)
    since = timezone.now()
    late = publish_notes(note_id, 2)
    wait_until(lambda: len(note_rows(note_id)) == 4, timeout=30, what="the four events")
    assert kafka_consumer.stop(signal.SIGTERM) == 0  # a group with live members cannot be rewound

    _wipe([note_id])
    out, _ = _replay("--context", CONTEXT, "--source", "kafka", "--since", since.isoformat())
    assert (
        "rewound consumer group" in out and "forgot 4 inbox row(s)" in out
    )  # 2 events x 2 handlers
    assert not InboxRecord.objects.filter(event_id__in=[e.event_id for e in late]).exists()

    kafka_consumer.start()
    wait_until(lambda: len(note_rows(note_id)) == 2, timeout=60, what="the replayed events")
    assert [r[0] for r in note_rows(note_id)] == [e.event_id for e in late]
    assert [handler_attempts(e.event_id) for e in late] == [2, 2]
    assert [handler_attempts(e.event_id) for e in early] == [1, 1]
    # The rewind stopped at `since`: the earlier events were not even re-read.
    output = kafka_consumer.output()
    assert not any(str(e.event_id) in output for e in early)
