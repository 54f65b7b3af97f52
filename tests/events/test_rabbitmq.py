"""The native RabbitMQ transport against the real RabbitMQ, consumed by a real
``manage.py consume_events`` process."""

from __future__ import annotations

import signal
import uuid

import pytest
from kombu import Connection, Consumer, Queue

from bazaar_platform.events import publish
from bazaar_platform.events.brokers import OutgoingMessage, context_queue_name, encode
from bazaar_platform.events.brokers.rabbitmq import (
    RabbitMQBroker,
    context_queue,
    dead_letter_queue,
    declare_topology,
)
from bazaar_platform.events.models import DeadLetter, OutboxMessage
from bazaar_platform.events.relay import relay_pending
from tests.conftest import free_port
from tests.events.conftest import (
    RABBITMQ_URL,
    UseCaseFailedError,
    committed,
    handler_attempts,
    note_rows,
    publish_and_roll_back,
    publish_notes,
    wait_until,
)
from tests.events.support import CONTEXT
from tests.events.support.events import NoteRecorded

pytestmark = [pytest.mark.integration, pytest.mark.broker, pytest.mark.django_db]


@pytest.fixture
def rabbit(settings, rabbit_consumer):
    settings.EVENT_DISPATCH = "broker"
    settings.EVENT_BROKER = "rabbitmq"
    settings.EVENT_BROKER_URL = RABBITMQ_URL
    return rabbit_consumer


def _raw_publish(body: bytes, event_type: str = "evtest.note_recorded", key: str = "x") -> None:
    broker = RabbitMQBroker(RABBITMQ_URL)
    try:
        broker.publish(
            OutgoingMessage(producer="evtest", event_type=event_type, key=key, body=body)
        )
    finally:
        broker.close()


def _ready_messages() -> int:
    with Connection(RABBITMQ_URL) as conn:
        declared = Queue(context_queue_name(CONTEXT))(conn.channel()).queue_declare(passive=True)
        return int(declared.message_count)  # type: ignore[union-attr]


def test_commit_is_delivered_and_rollback_is_not(rabbit):
    note_id = uuid.uuid4()
    rolled_back = NoteRecorded(note_id=note_id, seq=0, text="never")
    with pytest.raises(UseCaseFailedError):
        publish_and_roll_back(rolled_back)
    (kept,) = publish_notes(note_id, 1)
    # Same aggregate, same queue, in order: once the committed event is handled, a
    # delivered rolled-back one would have been handled before it.
    wait_until(lambda: note_rows(note_id), what="the committed event")
    assert [r[0] for r in note_rows(note_id)] == [kept.event_id]
    assert not OutboxMessage.objects.filter(event_id=rolled_back.event_id).exists()
    assert OutboxMessage.objects.get(event_id=kept.event_id).dispatched_at is not None


def test_events_of_each_aggregate_arrive_in_order(rabbit):
    a, b = uuid.uuid4(), uuid.uuid4()
    for seq in range(15):
        for note_id in (a, b):
            with committed():
                publish(NoteRecorded(note_id=note_id, seq=seq))
    wait_until(lambda: len(note_rows(a)) == 15 and len(note_rows(b)) == 15, what="30 events")
    assert [r[1] for r in note_rows(a)] == list(range(15))
    assert [r[1] for r in note_rows(b)] == list(range(15))


def test_duplicate_delivery_is_applied_once(rabbit):
    event = NoteRecorded(note_id=uuid.uuid4(), seq=0)
    body = encode(event.to_message())
    _raw_publish(body)
    _raw_publish(body)
    (sentinel,) = publish_notes(event.note_id, 1)
    wait_until(lambda: len(note_rows(event.note_id)) == 2, what="event and sentinel")
    assert [r[0] for r in note_rows(event.note_id)] == [event.event_id, sentinel.event_id]
    assert handler_attempts(event.event_id) == 1
    assert f'"event_id": "{event.event_id}"' in rabbit.output()  # the duplicate was seen, skipped


def test_poison_event_is_dead_lettered_and_the_consumer_goes_on(rabbit):
    note_id = uuid.uuid4()
    (poison,) = publish_notes(note_id, 1, fail_always=True)
    (healthy,) = publish_notes(note_id, 1)
    wait_until(lambda: note_rows(note_id), what="the event after the poison one")
    letter = DeadLetter.objects.get(event_id=poison.event_id, handler=f"{CONTEXT}.record_note")
    assert (letter.reason, letter.transport, letter.attempts) == ("handler_failed", "rabbitmq", 3)
    assert handler_attempts(poison.event_id) == 3
    assert [r[0] for r in note_rows(note_id)] == [healthy.event_id]


def test_malformed_and_invalid_messages_on_the_broker_are_dead_lettered(rabbit):
    unknown_version = NoteRecorded(note_id=uuid.uuid4(), seq=0).to_message() | {"version": 7}
    invalid = NoteRecorded(note_id=uuid.uuid4(), seq=0).to_message()
    invalid["payload"]["note_id"] = "nope"
    _raw_publish(b"\x00\x9f{not json")
    _raw_publish(encode(unknown_version))
    _raw_publish(encode(invalid))
    note_id = uuid.uuid4()
    publish_notes(note_id, 1)
    wait_until(lambda: note_rows(note_id), what="a good event after the bad ones")
    letters = DeadLetter.objects.filter(transport="rabbitmq", context=CONTEXT)
    reasons = {
        letter.reason
        for letter in letters
        if "not json" in letter.raw
        or str(unknown_version["event_id"]) in letter.raw
        or str(invalid["event_id"]) in letter.raw
    }
    assert reasons == {"malformed_message", "unknown_event_type", "invalid_payload"}
    assert rabbit.proc.poll() is None  # still consuming


def test_broker_down_at_commit_then_recovering_loses_nothing(rabbit, settings):
    settings.EVENT_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{free_port()}//"  # nothing listens
    note_id = uuid.uuid4()
    events = publish_notes(note_id, 3)
    pending = OutboxMessage.objects.filter(event_id__in=[e.event_id for e in events])
    assert pending.filter(dispatched_at__isnull=True).count() == 3
    assert "RabbitMQ unreachable" in pending.order_by("id").first().last_error
    assert relay_pending() == (0, 1)  # still down: the relay keeps them
    settings.EVENT_BROKER_URL = RABBITMQ_URL  # the broker is back
    assert relay_pending() == (3, 0)
    wait_until(lambda: len(note_rows(note_id)) == 3, what="the three events")
    assert [r[1] for r in note_rows(note_id)] == [0, 1, 2]


def test_consumer_killed_mid_handler_gets_it_redelivered_and_applies_it_once(rabbit):
    note_id = uuid.uuid4()
    (event,) = publish_notes(note_id, 1, sleep_ms=30_000)  # sleeps on the first attempt only
    wait_until(lambda: handler_attempts(event.event_id) == 1, what="the handler to start")
    rabbit.kill()
    rabbit.start()
    wait_until(lambda: note_rows(note_id), timeout=30, what="the redelivered event")
    assert handler_attempts(event.event_id) == 2
    assert len(note_rows(note_id)) == 1


def test_consumer_killed_after_commit_before_ack_skips_the_redelivery(rabbit):
    note_id = uuid.uuid4()
    (event,) = publish_notes(note_id, 1, pause_after_commit_ms=30_000)
    wait_until(lambda: note_rows(note_id), what="the handler's commit")
    rabbit.kill()
    rabbit.start()
    (sentinel,) = publish_notes(note_id, 1)
    wait_until(lambda: len(note_rows(note_id)) == 2, timeout=30, what="the sentinel")
    assert [r[0] for r in note_rows(note_id)] == [event.event_id, sentinel.event_id]
    assert handler_attempts(event.event_id) == 1
    skipped = [line for line in rabbit.output().splitlines() if "event_duplicate_skipped" in line]
    assert any(str(event.event_id) in line for line in skipped)


def test_sigterm_finishes_the_event_in_flight_then_exits(rabbit):
    note_id = uuid.uuid4()
    (event,) = publish_notes(note_id, 1, sleep_ms=1500)
    wait_until(lambda: handler_attempts(event.event_id) == 1, what="the handler to start")
    assert rabbit.stop(signal.SIGTERM) == 0
    assert "consume_events: stopped (SIGTERM)" in rabbit.output()
    assert len(note_rows(note_id)) == 1  # finished, not abandoned
    assert _ready_messages() == 0  # and acknowledged: nothing went back to the queue
    rabbit.start()
    publish_notes(note_id, 1)  # a sentinel behind it in the same queue
    wait_until(lambda: len(note_rows(note_id)) == 2, timeout=30, what="the sentinel")
    assert "event_duplicate_skipped" not in rabbit.output()


def test_context_queue_dead_letters_rejected_messages_to_the_dlx(settings):
    settings.EVENT_BROKER_URL = RABBITMQ_URL
    throwaway = f"dlxprobe_{uuid.uuid4().hex[:6]}"
    with Connection(RABBITMQ_URL) as conn:
        declare_topology(conn, {throwaway: {"evtest.note_archived"}})
        _raw_publish(b"rejected on purpose", event_type="evtest.note_archived")
        queue = context_queue(throwaway, {"evtest.note_archived"})
        rejected: list[bytes] = []

        def reject(message):
            rejected.append(message.body)
            message.reject(requeue=False)

        with Consumer(conn.channel(), queues=[queue], on_message=reject, no_ack=False):
            wait_until(lambda: conn.drain_events(timeout=1) or rejected, what="the message")
        dead = dead_letter_queue()(conn.channel())
        found = wait_until(lambda: dead.get(no_ack=True), what="the dead-lettered message")
        body = found.body if isinstance(found.body, bytes) else found.body.encode()
        assert body == b"rejected on purpose"
        queue(conn.channel()).delete()
