"""Handlers of the test context. They write to ``evtest_notes`` (a raw table the test
session creates), so effects are visible from every process, and count attempts in
Redis (outside the handler's transaction, which a failure rolls back)."""

from __future__ import annotations

import os
import time
from functools import cache

import redis
from django.conf import settings
from django.db import connection, transaction
from opentelemetry import trace

from bazaar_platform.events import register_handlers
from tests.events.support import CONTEXT
from tests.events.support.events import NoteRecorded

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS evtest_notes (
    id bigserial PRIMARY KEY,
    event_id uuid NOT NULL,
    handler text NOT NULL,
    note_id uuid NOT NULL,
    seq integer NOT NULL,
    text text NOT NULL,
    trace_id text NOT NULL,
    pid integer NOT NULL,
    handled_at double precision NOT NULL
)
"""


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def attempts_key(event_id: object, handler: str) -> str:
    return f"evtest:attempts:{handler}:{event_id}"


def started_key(event_id: object) -> str:
    return f"evtest:started:{event_id}"


def _insert(handler: str, event: NoteRecorded) -> None:
    span = trace.get_current_span().get_span_context()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO evtest_notes (event_id, handler, note_id, seq, text, trace_id, pid, handled_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                event.event_id,
                handler,
                event.note_id,
                event.seq,
                event.text,
                format(span.trace_id, "032x") if span.trace_id else "",
                os.getpid(),
                time.time(),
            ],
        )


def record_note(event: NoteRecorded) -> None:
    attempt = _redis().incr(attempts_key(event.event_id, "record_note"))
    _redis().expire(attempts_key(event.event_id, "record_note"), 600)
    if event.sleep_ms and attempt == 1:  # only the first attempt: a redelivery runs at once
        _redis().set(started_key(event.event_id), os.getpid(), ex=600)
        time.sleep(event.sleep_ms / 1000)
    if event.fail_always:
        raise RuntimeError(f"poison note {event.note_id} (attempt {attempt})")
    if attempt <= event.fail_times:
        raise RuntimeError(f"transient failure {attempt}/{event.fail_times}")
    _insert("record_note", event)
    if event.pause_after_commit_ms and attempt == 1:
        # Runs after the inbox row and the effect committed, before the ack.
        transaction.on_commit(lambda: time.sleep(event.pause_after_commit_ms / 1000))


def audit_note(event: NoteRecorded) -> None:
    _insert("audit_note", event)


register_handlers(CONTEXT, {NoteRecorded: [record_note, audit_note]})
