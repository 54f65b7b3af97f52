"""The native Kafka transport against a real Kafka-protocol broker (Tansu, started once per
session), consumed by a real ``manage.py consume_events`` process: a topic per producing
context keyed by aggregate id, a consumer group per consuming context, offsets committed
only after the handler succeeded."""

from __future__ import annotations

import signal
import uuid

import pytest

from bazaar_platform.events import publish
from bazaar_platform.events.brokers import OutgoingMessage, encode
from bazaar_platform.events.brokers.kafka import KafkaBroker, check_kafka
from bazaar_platform.events.models import DeadLetter, OutboxMessage
from bazaar_platform.events.relay import relay_pending
from tests.conftest import free_port
from tests.events.conftest import (
    UseCaseFailedError,
    committed,
    handler_attempts,
    note_rows,
    publish_and_roll_back,
    publish_notes,
    wait_until,
)
from tests.events.support import CONTEXT
from tests.events.support.events import NoteArchived, NoteRecorded

pytestmark = [
    pytest.mark.integration,
    pytest.mark.broker,
    pytest.mark.kafka,
    pytest.mark.django_db,
]


@pytest.fixture
def kafka(settings, kafka_bootstrap, kafka_consumer):
    settings.EVENT_DISPATCH = "broker"
    settings.EVENT_BROKER = "kafka"
    settings.EVENT_BROKER_URL = kafka_bootstrap
    return kafka_consumer


def _raw_publish(bootstrap: str, body: bytes, key: str = "x") -> None:
    broker = KafkaBroker(bootstrap)
    try:
        broker.publish(OutgoingMessage(producer="evtest", event_type="?", key=key, body=body))
    finally:
        broker.close()


def test_check_kafka_answers_for_a_live_broker_and_raises_for_a_dead_one(kafka_bootstrap):
    check_kafka(kafka_bootstrap, timeout=2)
    with pytest.raises(Exception, match=r"(?i)transport|timed out|broker"):
        check_kafka(f"127.0.0.1:{free_port()}", timeout=0.5)


def test_commit_is_delivered_and_rollback_is_not(kafka):
    note_id = uuid.uuid4()
    rolled_back = NoteRecorded(note_id=note_id, seq=0, text="never")
    with pytest.raises(UseCaseFailedError):
        publish_and_roll_back(rolled_back)
    (kept,) = publish_notes(note_id, 1)
    # One aggregate = one partition, read in order: had the rolled-back event been
    # sent, it would have been handled before this one.
    wait_until(lambda: note_rows(note_id), timeout=30, what="the committed event")
    assert [r[0] for r in note_rows(note_id)] == [kept.event_id]
    assert not OutboxMessage.objects.filter(event_id=rolled_back.event_id).exists()


def test_events_of_each_aggregate_arrive_in_order_across_partitions(kafka):
    notes = [uuid.uuid4() for _ in range(4)]  # keys spread over the 3 partitions
    for seq in range(10):
        for note_id in notes:
            with committed():
                publish(NoteRecorded(note_id=note_id, seq=seq))
    wait_until(lambda: all(len(note_rows(n)) == 10 for n in notes), timeout=30, what="40 events")
    for note_id in notes:
        assert [r[1] for r in note_rows(note_id)] == list(range(10))


def test_duplicate_delivery_is_applied_once(kafka, kafka_bootstrap):
    event = NoteRecorded(note_id=uuid.uuid4(), seq=0)
    body = encode(event.to_message())
    key = str(event.note_id)
    _raw_publish(kafka_bootstrap, body, key)
    _raw_publish(kafka_bootstrap, body, key)
    (sentinel,) = publish_notes(event.note_id, 1)
    wait_until(lambda: len(note_rows(event.note_id)) == 2, timeout=30, what="event and sentinel")
    assert [r[0] for r in note_rows(event.note_id)] == [event.event_id, sentinel.event_id]
    assert handler_attempts(event.event_id) == 1


def test_poison_malformed_and_unhandled_messages_do_not_stop_the_consumer(kafka, kafka_bootstrap):
    note_id = uuid.uuid4()
    key = str(note_id)
    (poison,) = publish_notes(note_id, 1, fail_always=True)
    _raw_publish(kafka_bootstrap, b"\xff\xfe not json at all", key)
    invalid = NoteRecorded(note_id=note_id, seq=9).to_message()
    invalid["payload"]["seq"] = "nine"
    _raw_publish(kafka_bootstrap, encode(invalid), key)
    with committed():
        publish(NoteArchived(note_id=note_id))  # same topic, no handler in this context: skipped
    (healthy,) = publish_notes(note_id, 1)
    wait_until(lambda: note_rows(note_id), timeout=30, what="the event after the bad ones")
    assert [r[0] for r in note_rows(note_id)] == [healthy.event_id]
    letter = DeadLetter.objects.get(event_id=poison.event_id, handler=f"{CONTEXT}.record_note")
    assert (letter.reason, letter.transport, letter.attempts) == ("handler_failed", "kafka", 3)
    letters = DeadLetter.objects.filter(transport="kafka", context=CONTEXT)
    assert letters.filter(reason="malformed_message", raw__contains="not json at all").exists()
    assert letters.filter(
        reason="invalid_payload", event_id=invalid["event_id"], event_type="evtest.note_recorded"
    ).exists()
    assert not DeadLetter.objects.filter(event_type="evtest.note_archived").exists()


def test_broker_down_at_commit_then_recovering_loses_nothing(kafka, settings, kafka_bootstrap):
    settings.EVENT_BROKER_URL = f"127.0.0.1:{free_port()}"  # nothing listens
    note_id = uuid.uuid4()
    events = publish_notes(note_id, 3)
    pending = OutboxMessage.objects.filter(event_id__in=[e.event_id for e in events])
    assert pending.filter(dispatched_at__isnull=True).count() == 3
    assert "Kafka unreachable" in pending.order_by("id").first().last_error
    settings.EVENT_BROKER_URL = kafka_bootstrap  # back
    assert relay_pending() == (3, 0)
    wait_until(lambda: len(note_rows(note_id)) == 3, timeout=30, what="the three events")
    assert [r[1] for r in note_rows(note_id)] == [0, 1, 2]


def test_consumer_killed_mid_handler_gets_it_redelivered_and_applies_it_once(kafka):
    note_id = uuid.uuid4()
    (event,) = publish_notes(note_id, 1, sleep_ms=60_000)  # sleeps on the first attempt only
    wait_until(
        lambda: handler_attempts(event.event_id) == 1, timeout=30, what="the handler to start"
    )
    kafka.kill()
    kafka.start()
    wait_until(lambda: note_rows(note_id), timeout=60, what="the redelivered event")
    assert handler_attempts(event.event_id) == 2
    assert len(note_rows(note_id)) == 1


def test_sigterm_finishes_the_event_in_flight_commits_and_exits(kafka):
    note_id = uuid.uuid4()
    (event,) = publish_notes(note_id, 1, sleep_ms=1500, pause_after_commit_ms=0)
    wait_until(
        lambda: handler_attempts(event.event_id) == 1, timeout=30, what="the handler to start"
    )
    assert kafka.stop(signal.SIGTERM) == 0
    assert "consume_events: stopped (SIGTERM)" in kafka.output()
    assert len(note_rows(note_id)) == 1  # finished, not abandoned
    kafka.start()
    publish_notes(note_id, 1)  # a sentinel behind it in the same partition
    wait_until(lambda: len(note_rows(note_id)) == 2, timeout=60, what="the sentinel")
    # Its offset was committed on shutdown: the restarted consumer did not see it again.
    assert "event_duplicate_skipped" not in kafka.output()
