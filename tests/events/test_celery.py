"""The Celery transport against real workers (``celery -A config worker``, prefork pool,
``-Q events.<context>``) over RabbitMQ (``amqp://``) and over Kafka (``confluentkafka://``,
without mingle/gossip/heartbeat, remote control off)."""

from __future__ import annotations

import uuid

import pytest

from bazaar_platform.events.dispatch import context_queue
from bazaar_platform.events.models import DeadLetter, InboxRecord, OutboxMessage
from bazaar_platform.events.relay import relay_pending
from bazaar_platform.events.tasks import handle_event, retry_countdown
from tests.conftest import free_port
from tests.events.conftest import (
    RABBITMQ_URL,
    UseCaseFailedError,
    handler_attempts,
    note_rows,
    publish_and_roll_back,
    publish_notes,
    wait_until,
)
from tests.events.support import CONTEXT
from tests.events.support.events import NoteRecorded

pytestmark = [pytest.mark.integration, pytest.mark.broker, pytest.mark.django_db]

RECORD = f"{CONTEXT}.record_note"
AUDIT = f"{CONTEXT}.audit_note"


@pytest.fixture(
    params=[
        pytest.param("rabbitmq", id="celery-rabbitmq"),
        pytest.param("kafka", id="celery-kafka", marks=pytest.mark.kafka),
    ]
)
def celery(request, settings):
    """A running worker for this broker; the pytest process dispatches to it."""
    if request.param == "rabbitmq":
        worker = request.getfixturevalue("celery_rabbit_worker")
        url = RABBITMQ_URL
    else:
        worker = request.getfixturevalue("celery_kafka_worker")
        url = f"confluentkafka://{request.getfixturevalue('kafka_bootstrap')}"
    settings.EVENT_DISPATCH = "celery"
    settings.CELERY_BROKER_URL = url
    worker.broker_url = url
    return worker


def _send(url: str, handler: str, message: dict) -> None:
    """Queue one handler task on the worker's broker, as the dispatcher does."""
    from bazaar_platform.events.dispatch import CeleryDispatcher, get_dispatcher

    dispatcher = get_dispatcher()
    assert isinstance(dispatcher, CeleryDispatcher)
    producer = dispatcher._ready_producer()
    handle_event.apply_async(
        args=(handler, message, {}), queue=context_queue(CONTEXT), producer=producer
    )


def test_backoff_is_exponential(settings):
    settings.EVENT_RETRY_BACKOFF_SECONDS = 2.0
    assert [retry_countdown(r) for r in range(4)] == [2.0, 4.0, 8.0, 16.0]
    assert retry_countdown(20) == 300.0


def test_each_subscribing_handler_gets_its_task_and_rollback_sends_none(celery):
    note_id = uuid.uuid4()
    rolled_back = NoteRecorded(note_id=note_id, seq=0, text="never")
    with pytest.raises(UseCaseFailedError):
        publish_and_roll_back(rolled_back)
    (event,) = publish_notes(note_id, 1)
    assert OutboxMessage.objects.get(event_id=event.event_id).dispatched_at is not None
    wait_until(
        lambda: InboxRecord.objects.filter(event_id=event.event_id).count() == 2,
        timeout=30,
        what="both handlers",
    )
    assert set(
        InboxRecord.objects.filter(event_id=event.event_id).values_list("handler", flat=True)
    ) == {
        RECORD,
        AUDIT,
    }
    assert not OutboxMessage.objects.filter(event_id=rolled_back.event_id).exists()
    assert not InboxRecord.objects.filter(event_id=rolled_back.event_id).exists()


def test_failures_are_retried_with_backoff_then_dead_lettered(celery):
    note_id = uuid.uuid4()
    (transient,) = publish_notes(note_id, 1, fail_times=2)
    (poison,) = publish_notes(uuid.uuid4(), 1, fail_always=True)
    wait_until(lambda: note_rows(note_id), timeout=30, what="the transient failure to succeed")
    assert handler_attempts(transient.event_id) == 3
    letter = wait_until(
        lambda: DeadLetter.objects.filter(event_id=poison.event_id, handler=RECORD).first(),
        timeout=30,
        what="the poison event's dead letter",
    )
    assert (letter.reason, letter.transport, letter.attempts) == ("handler_failed", "celery", 3)
    assert handler_attempts(poison.event_id) == 3
    assert not DeadLetter.objects.filter(event_id=transient.event_id).exists()


def test_duplicate_task_is_applied_once_and_bad_tasks_are_dead_lettered(celery):
    event = NoteRecorded(note_id=uuid.uuid4(), seq=0)
    message = event.to_message()
    _send(celery.broker_url, RECORD, message)
    _send(celery.broker_url, RECORD, message)
    invalid = NoteRecorded(note_id=uuid.uuid4(), seq=0).to_message()
    invalid["payload"]["note_id"] = "not a uuid"
    _send(celery.broker_url, RECORD, invalid)
    unknown = NoteRecorded(note_id=uuid.uuid4(), seq=0).to_message() | {"event_type": "evtest.gone"}
    _send(celery.broker_url, RECORD, unknown)
    _send(celery.broker_url, f"{CONTEXT}.no_such_handler", message)
    letters = DeadLetter.objects.filter(transport="celery")

    def all_seen() -> bool:
        return (
            len(note_rows(event.note_id)) >= 1
            and letters.filter(event_id=invalid["event_id"], reason="invalid_payload").exists()
            and letters.filter(event_id=unknown["event_id"], reason="unknown_event_type").exists()
            and letters.filter(event_id=event.event_id, reason="unknown_handler").exists()
        )

    wait_until(all_seen, timeout=30, what="the good task and three dead letters")
    wait_until(
        lambda: "event_duplicate_skipped" in celery.output(), timeout=30, what="the duplicate task"
    )
    assert len(note_rows(event.note_id)) == 1
    assert handler_attempts(event.event_id) == 1


def test_broker_down_at_commit_then_recovering_loses_nothing(celery, settings):
    good_url = settings.CELERY_BROKER_URL
    scheme = (
        "confluentkafka://127.0.0.1"
        if good_url.startswith("confluentkafka")
        else "amqp://guest:guest@127.0.0.1"
    )
    settings.CELERY_BROKER_URL = f"{scheme}:{free_port()}"
    note_id = uuid.uuid4()
    events = publish_notes(note_id, 2)
    rows = OutboxMessage.objects.filter(event_id__in=[e.event_id for e in events])
    assert rows.filter(dispatched_at__isnull=True).count() == 2
    settings.CELERY_BROKER_URL = good_url
    assert relay_pending() == (2, 0)
    wait_until(lambda: len(note_rows(note_id)) == 2, timeout=30, what="both events")
    assert sorted(r[1] for r in note_rows(note_id)) == [0, 1]


def test_worker_killed_mid_task_gets_it_redelivered_and_applies_it_once(celery):
    note_id = uuid.uuid4()
    (event,) = publish_notes(note_id, 1, sleep_ms=60_000)  # sleeps on the first attempt only
    wait_until(lambda: handler_attempts(event.event_id) == 1, timeout=30, what="the task to start")
    celery.kill()  # the whole worker: main process and prefork children
    celery.start()
    celery.wait_for_output(" ready.")
    wait_until(lambda: note_rows(note_id), timeout=60, what="the redelivered task")
    assert handler_attempts(event.event_id) == 2
    assert len(note_rows(note_id)) == 1


def _put_raw_on_the_queue(celery, kafka_bootstrap_or_none, bodies: list[bytes]) -> None:
    queue = context_queue(CONTEXT)
    if celery.broker_url.startswith("confluentkafka"):
        from confluent_kafka import Producer

        kafka_producer = Producer({"bootstrap.servers": kafka_bootstrap_or_none})
        for body in bodies:
            kafka_producer.produce(queue, value=body)
        assert kafka_producer.flush(10) == 0
        return
    from kombu import Connection

    with Connection(RABBITMQ_URL) as conn:
        producer = conn.Producer()
        for body in bodies:
            producer.publish(body, exchange="", routing_key=queue, content_type="application/json")


def test_malformed_messages_on_the_celery_queue_are_dead_lettered_and_the_worker_goes_on(
    celery, request
):
    bootstrap = (
        request.getfixturevalue("kafka_bootstrap")
        if celery.broker_url.startswith("confluentkafka")
        else None
    )
    marker = uuid.uuid4().hex
    _put_raw_on_the_queue(
        celery,
        bootstrap,
        [f"not json {marker} \x00".encode(), f'{{"not": "a task", "m": "{marker}"}}'.encode()],
    )
    note_id = uuid.uuid4()
    publish_notes(note_id, 1)
    wait_until(lambda: note_rows(note_id), timeout=30, what="a good event after the garbage")
    letters = DeadLetter.objects.filter(reason="malformed_message", raw__contains=marker)
    wait_until(lambda: letters.count() == 2, timeout=30, what="two dead letters")
    assert {letter.transport for letter in letters} <= {"celery", "celery-kafka"}
    assert celery.proc.poll() is None
