"""In-process dispatch and the core semantics every transport shares: the outbox in the
caller's transaction, commit/rollback, ordering per aggregate, the inbox, retries and the
dead-letter store, bad input."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from django.db import connection, transaction

from bazaar_platform.events import publish
from bazaar_platform.events.brokers import ReceivedMessage
from bazaar_platform.events.consumer import Outcome, apply, apply_or_dead_letter, handle_received
from bazaar_platform.events.models import DeadLetter, InboxRecord, OutboxMessage
from bazaar_platform.events.relay import relay_pending
from tests.events.conftest import (
    UseCaseFailedError,
    handler_attempts,
    note_rows,
    publish_and_roll_back,
    publish_notes,
)
from tests.events.support import CONTEXT
from tests.events.support.events import NoteArchived, NoteRecorded

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

RECORD = f"{CONTEXT}.record_note"
AUDIT = f"{CONTEXT}.audit_note"


def test_event_round_trips_through_json():
    event = NoteRecorded(note_id=uuid.uuid4(), seq=3, text="héllo")
    wire = json.loads(json.dumps(event.to_message()))
    from bazaar_platform.events.registry import decode

    assert decode(wire) == event
    assert wire["event_type"] == "evtest.note_recorded" and wire["aggregate_id"] == str(
        event.note_id
    )


def test_committed_event_is_handled_after_commit_by_every_subscriber(
    django_capture_on_commit_callbacks,
):
    note_id = uuid.uuid4()
    event = NoteRecorded(note_id=note_id, seq=0, text="hi")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        publish(event)
        assert OutboxMessage.objects.filter(event_id=event.event_id).exists()
        assert note_rows(note_id) == []  # nothing before commit
    assert len(callbacks) == 1
    assert [r[0] for r in note_rows(note_id)] == [event.event_id]
    assert [r[0] for r in note_rows(note_id, "audit_note")] == [event.event_id]
    row = OutboxMessage.objects.get(event_id=event.event_id)
    assert row.dispatched_at is not None and row.attempts == 1
    assert set(
        InboxRecord.objects.filter(event_id=event.event_id).values_list("handler", flat=True)
    ) == {RECORD, AUDIT}


def test_rolled_back_transaction_publishes_nothing(django_capture_on_commit_callbacks):
    note_id = uuid.uuid4()
    event = NoteRecorded(note_id=note_id, seq=0)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(UseCaseFailedError),
    ):
        publish_and_roll_back(event)
    assert callbacks == []
    assert not OutboxMessage.objects.filter(event_id=event.event_id).exists()
    assert relay_pending() == (0, 0)
    assert note_rows(note_id) == []


def test_events_of_one_aggregate_are_handled_in_commit_order(django_capture_on_commit_callbacks):
    note_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        publish_notes(note_id, 20)
    assert [r[1] for r in note_rows(note_id)] == list(range(20))


def test_relay_delivers_in_order_what_the_fast_path_left_pending(settings):
    settings.EVENT_RELAY_INLINE = False  # as if every after-commit delivery failed
    a, b = uuid.uuid4(), uuid.uuid4()
    for seq in range(5):
        for note_id in (a, b):
            with transaction.atomic():
                publish(NoteRecorded(note_id=note_id, seq=seq))
    assert note_rows(a) == []
    delivered, failed = relay_pending(batch_size=3)  # several batches, rounds per aggregate
    assert (delivered, failed) == (10, 0)
    assert [r[1] for r in note_rows(a)] == list(range(5))
    assert [r[1] for r in note_rows(b)] == list(range(5))
    assert not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()


def test_redelivered_event_is_applied_once():
    event = NoteRecorded(note_id=uuid.uuid4(), seq=0)
    message = event.to_message()
    assert apply(RECORD, message) is Outcome.APPLIED
    assert apply(RECORD, message) is Outcome.DUPLICATE
    assert apply(RECORD, json.loads(json.dumps(message))) is Outcome.DUPLICATE
    assert len(note_rows(event.note_id)) == 1


def test_transient_failure_is_retried_then_applied(django_capture_on_commit_callbacks):
    note_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        (event,) = publish_notes(note_id, 1, fail_times=2)
    assert handler_attempts(event.event_id) == 3
    assert len(note_rows(note_id)) == 1
    assert not DeadLetter.objects.filter(event_id=event.event_id).exists()


def test_poison_event_goes_to_dead_letter_after_max_attempts_and_others_still_run(
    django_capture_on_commit_callbacks,
):
    note_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        (poison,) = publish_notes(note_id, 1, fail_always=True)
        publish_notes(note_id, 1)  # the next event of the aggregate is not blocked
    letter = DeadLetter.objects.get(event_id=poison.event_id)
    assert letter.reason == DeadLetter.Reason.HANDLER_FAILED
    assert letter.handler == RECORD and letter.attempts == 3
    assert "poison note" in letter.error and letter.status == DeadLetter.Status.PENDING
    assert handler_attempts(poison.event_id) == 3
    assert note_rows(note_id, "audit_note")[0][0] == poison.event_id
    assert len(note_rows(note_id)) == 1  # only the healthy second event


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (
            {
                "event_type": "evtest.nope",
                "version": 1,
                "event_id": str(uuid.uuid4()),
                "occurred_at": "2026-01-01T00:00:00Z",
                "payload": {},
            },
            "unknown_event_type",
        ),
        (
            {
                "event_type": "evtest.note_recorded",
                "version": 9,
                "event_id": str(uuid.uuid4()),
                "occurred_at": "2026-01-01T00:00:00Z",
                "payload": {},
            },
            "unknown_event_type",
        ),
        (
            {
                "event_type": "evtest.note_recorded",
                "version": 1,
                "event_id": str(uuid.uuid4()),
                "occurred_at": "2026-01-01T00:00:00Z",
                "payload": {"note_id": "not-a-uuid", "seq": 1},
            },
            "invalid_payload",
        ),
        (
            {
                "event_type": "evtest.note_recorded",
                "version": 1,
                "event_id": str(uuid.uuid4()),
                "occurred_at": "2026-01-01T00:00:00Z",
                "payload": {"note_id": str(uuid.uuid4()), "seq": 1, "surprise": True},
            },
            "invalid_payload",
        ),
        ({"event_type": "evtest.note_recorded", "payload": {}}, "malformed_message"),
        (b"\x00\xff not json {", "malformed_message"),
        ("[1, 2, 3]", "malformed_message"),
    ],
    ids=[
        "unknown-type",
        "unknown-version",
        "bad-uuid",
        "extra-field",
        "no-envelope",
        "bytes",
        "array",
    ],
)
def test_bad_input_is_dead_lettered_with_its_reason_not_raised(message, reason):
    outcome = apply_or_dead_letter(RECORD, message, transport="test")
    assert outcome is Outcome.DEAD_LETTERED
    letter = DeadLetter.objects.get(transport="test")
    assert letter.reason == reason and letter.handler == RECORD
    assert letter.error
    assert "\x00" not in letter.raw  # storable in PostgreSQL text, still readable


def test_broker_consumer_dead_letters_garbage_once_and_skips_types_it_does_not_handle():
    garbage = ReceivedMessage(body=b"\x00\x01garbage \xff")
    assert handle_received(CONTEXT, garbage, transport="test") == [Outcome.DEAD_LETTERED]
    letter = DeadLetter.objects.get(transport="test")
    assert (letter.reason, letter.context, letter.handler) == ("malformed_message", CONTEXT, "")
    assert letter.raw.startswith("\\x00") and "garbage \\xff" in letter.raw  # verbatim, escaped

    archived = NoteArchived(note_id=uuid.uuid4())
    from bazaar_platform.events.brokers import encode

    skipped = handle_received(
        CONTEXT, ReceivedMessage(body=encode(archived.to_message())), transport="test"
    )
    assert skipped == [Outcome.SKIPPED]

    bad = NoteRecorded(note_id=uuid.uuid4(), seq=1).to_message()
    bad["payload"]["seq"] = "many"
    outcomes = handle_received(CONTEXT, ReceivedMessage(body=encode(bad)), transport="test")
    assert outcomes == [Outcome.DEAD_LETTERED]  # one letter for the message, not one per handler
    assert DeadLetter.objects.filter(transport="test", reason="invalid_payload").count() == 1

    good = NoteRecorded(note_id=uuid.uuid4(), seq=1)
    outcomes = handle_received(
        CONTEXT, ReceivedMessage(body=encode(good.to_message())), transport="test"
    )
    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED]


def _hold_aggregate(note_id, seconds: float, locked: threading.Event) -> None:
    """Another sender: lock the aggregate's pending outbox rows for a while."""
    try:
        with transaction.atomic():
            list(
                OutboxMessage.objects.select_for_update().filter(
                    aggregate_id=str(note_id), dispatched_at__isnull=True
                )
            )
            locked.set()
            time.sleep(seconds)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("hold", "delivered_by_fast_path"), [(0.3, True), (2.0, False)])
def test_fast_path_waits_briefly_for_another_sender_then_leaves_it_to_the_relay(
    settings, hold, delivered_by_fast_path
):
    settings.EVENT_RELAY_INLINE_LOCK_WAIT_MS = 1000
    note_id = uuid.uuid4()
    settings.EVENT_RELAY_INLINE = False
    (first,) = publish_notes(note_id, 1)  # pending: the other sender locks this row
    settings.EVENT_RELAY_INLINE = True
    locked = threading.Event()
    holder = threading.Thread(target=_hold_aggregate, args=(note_id, hold, locked))
    holder.start()
    assert locked.wait(5)
    started = time.monotonic()
    (second,) = publish_notes(note_id, 1)  # its fast path meets the lock
    waited = time.monotonic() - started
    holder.join()
    in_order = [first.event_id, second.event_id]
    if delivered_by_fast_path:
        assert [r[0] for r in note_rows(note_id)] == in_order
        assert waited < 1.0
    else:
        assert note_rows(note_id) == []  # gave up after ~1 s, left it to the relay
        assert 0.9 < waited < 2.0
        assert relay_pending() == (2, 0)
        assert [r[0] for r in note_rows(note_id)] == in_order


def test_a_clean_batch_is_applied_in_one_transaction(django_assert_num_queries):
    from bazaar_platform.events.brokers import encode
    from bazaar_platform.events.consumer import handle_batch

    note_id = uuid.uuid4()
    events = [NoteRecorded(note_id=note_id, seq=seq) for seq in range(5)]
    batch = [ReceivedMessage(body=encode(e.to_message())) for e in events]
    # One inbox insert for the whole batch, then per event and handler the handler's
    # insert; plus the savepoint around the batch (the test's own transaction is the
    # outer one).
    with django_assert_num_queries(1 + 5 * 2 + 2):
        handle_batch(CONTEXT, batch, transport="test")
    assert [r[0] for r in note_rows(note_id)] == [e.event_id for e in events]


def test_a_batch_with_bad_messages_falls_back_to_one_by_one_with_the_same_outcome():
    from bazaar_platform.events.brokers import encode
    from bazaar_platform.events.consumer import handle_batch

    note_id = uuid.uuid4()
    first = NoteRecorded(note_id=note_id, seq=0)
    poison = NoteRecorded(note_id=note_id, seq=1, fail_always=True)
    last = NoteRecorded(note_id=note_id, seq=2)
    batch = [
        ReceivedMessage(body=encode(first.to_message())),
        ReceivedMessage(body=b"\x00not json"),
        ReceivedMessage(body=encode(poison.to_message())),
        ReceivedMessage(body=encode(last.to_message())),
        ReceivedMessage(body=encode(first.to_message())),  # redelivered within the batch
    ]
    handle_batch(CONTEXT, batch, transport="test")
    assert [r[0] for r in note_rows(note_id)] == [first.event_id, last.event_id]
    assert [r[0] for r in note_rows(note_id, "audit_note")] == [
        first.event_id,
        poison.event_id,
        last.event_id,
    ]
    letters = DeadLetter.objects.filter(transport="test")
    assert sorted(letters.values_list("reason", flat=True)) == [
        "handler_failed",
        "malformed_message",
    ]
    assert letters.get(reason="handler_failed").attempts == 3
    assert handler_attempts(first.event_id) == 2  # once in the rolled-back batch, once alone


def test_without_the_fast_path_publish_inserts_and_notifies_in_one_statement(
    settings, django_assert_num_queries
):
    settings.EVENT_RELAY_INLINE = False
    event = NoteRecorded(note_id=uuid.uuid4(), seq=0, text="héllo")
    with django_assert_num_queries(1) as captured:
        row = publish(event)
    assert "pg_notify" in captured.captured_queries[0]["sql"]
    stored = OutboxMessage.objects.get(pk=row.pk)
    assert stored.event_id == event.event_id
    assert stored.message == event.to_message()
    assert stored.aggregate_id == str(event.note_id) and stored.dispatched_at is None
    assert stored.created_at is not None and stored.attempts == 0
    assert relay_pending() == (1, 0)
    assert [r[0] for r in note_rows(event.note_id)] == [event.event_id]
