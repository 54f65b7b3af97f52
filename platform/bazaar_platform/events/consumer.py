"""Apply one message to one handler, exactly once per ``(event_id, handler)``.

Every transport ends here: the in-process dispatcher, the Celery task and the
broker consumers (:func:`handle_received`, run by ``manage.py consume_events``).
Nothing a message can contain stops a consumer: undecodable bytes, unknown event
types, payloads failing the schema and handlers that keep failing are written to
the dead-letter store with their reason, and the consumer moves on.

The inbox row and the handler's writes share one transaction: a handler that
raises leaves no inbox row (so it is retried), a handler that returned cannot be
applied again (a redelivered message finds the row and is skipped).
"""

from __future__ import annotations

import enum
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from bazaar_platform.events.base import IntegrationEvent
from bazaar_platform.events.brokers import ReceivedMessage
from bazaar_platform.events.models import DeadLetter, InboxRecord
from bazaar_platform.events.registry import (
    EventDecodeError,
    Subscription,
    decode,
    event_class,
    subscription,
    subscriptions_of_context,
)
from bazaar_platform.events.tracing import consumer_span
from bazaar_platform.observability.metrics import EVENTS_HANDLED

log = structlog.get_logger("bazaar.events")


class Outcome(enum.Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead_lettered"
    SKIPPED = "skipped"  # an event type this context does not handle


class ShutdownRequestedError(Exception):
    """Raised between retries when the consumer is asked to stop: the message is
    left unacknowledged and comes back to the next consumer."""


def _raw(message: Any) -> str:
    if isinstance(message, (bytes, bytearray)):
        text = bytes(message).decode("utf-8", errors="backslashreplace")
    elif isinstance(message, str):
        text = message
    else:
        try:
            text = json.dumps(message, default=str)
        except (TypeError, ValueError):
            text = repr(message)
    # PostgreSQL text cannot hold NUL; keep the message readable and storable.
    return text.replace("\x00", "\\x00")


def dead_letter(
    *,
    message: Any,
    reason: str,
    error: str,
    transport: str,
    handler: str = "",
    context: str = "",
    attempts: int = 1,
    parsed: Mapping[str, Any] | None = None,
) -> DeadLetter:
    """Record ``message`` (kept verbatim) with its reason. ``parsed`` is the message
    as decoded JSON when ``message`` is raw bytes that did parse."""
    event_id = event_type = None
    envelope = parsed if parsed is not None else message
    if isinstance(envelope, Mapping):
        event_id, event_type = envelope.get("event_id"), envelope.get("event_type")
    try:
        parsed_id = uuid.UUID(str(event_id)) if event_id else None
    except ValueError:
        parsed_id = None
    letter = DeadLetter.objects.create(
        event_id=parsed_id,
        event_type=_raw(event_type or "")[:120],
        handler=handler,
        context=context,
        transport=transport,
        reason=reason,
        error=_raw(error)[:10_000],
        raw=_raw(message),
        attempts=attempts,
    )
    EVENTS_HANDLED.labels(handler or "<none>", "dead_lettered").inc()
    log.warning(
        "event_dead_lettered",
        reason=reason,
        handler=handler,
        context=context,
        event_type=event_type,
        error=error[:500],
    )
    return letter


def parse_raw(body: bytes | str) -> dict[str, Any]:
    """Bytes from a broker to a message dict; raises :class:`EventDecodeError`."""
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EventDecodeError("malformed_message", f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise EventDecodeError("malformed_message", "a message must be a JSON object")
    return message


def _record_in_inbox(event_id: uuid.UUID, handler: str) -> bool:
    """Insert the inbox row; False if it was already there (a redelivery).

    On PostgreSQL one ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (no savepoint
    round trips); elsewhere a savepoint around a plain insert.
    """
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(InboxRecord._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (event_id, handler, processed_at) VALUES (%s, %s, %s) "  # noqa: S608 - quoted table name; values are parameters
                "ON CONFLICT (event_id, handler) DO NOTHING RETURNING id",
                [event_id, handler, timezone.now()],
            )
            return cursor.fetchone() is not None
    try:
        with transaction.atomic():
            InboxRecord.objects.create(event_id=event_id, handler=handler)
    except IntegrityError:
        return False
    return True


def apply_event(
    sub: Subscription, event: IntegrationEvent, headers: Mapping[str, Any] | None = None
) -> Outcome:
    """Run ``sub``'s handler on an already decoded event unless it already ran for it."""
    with (
        consumer_span(
            f"handle {event.event_type}",
            headers or {},
            **{"messaging.event_type": event.event_type, "bazaar.handler": sub.handler_name},
        ),
        transaction.atomic(),
    ):
        if not _record_in_inbox(event.event_id, sub.handler_name):
            EVENTS_HANDLED.labels(sub.handler_name, "duplicate").inc()
            log.info(
                "event_duplicate_skipped", event_id=str(event.event_id), handler=sub.handler_name
            )
            return Outcome.DUPLICATE
        structlog.contextvars.bind_contextvars(
            event_id=str(event.event_id), handler=sub.handler_name
        )
        try:
            sub.func(event)
        finally:
            structlog.contextvars.unbind_contextvars("event_id", "handler")
    EVENTS_HANDLED.labels(sub.handler_name, "applied").inc()
    # One line per applied event, in every transport: the trail an operator greps.
    log.info(
        "event_applied",
        event_id=str(event.event_id),
        event_type=event.event_type,
        handler=sub.handler_name,
    )
    return Outcome.APPLIED


def apply(
    handler_name: str, message: Mapping[str, Any], headers: Mapping[str, Any] | None = None
) -> Outcome:
    """Run ``handler_name`` on ``message`` unless it already ran for this event.

    Raises whatever the handler raises (the caller decides about retries); decode
    failures raise :class:`EventDecodeError` for the caller to dead-letter.
    """
    sub = subscription(handler_name)
    return apply_event(sub, decode(message), headers)


def apply_or_dead_letter(
    handler_name: str,
    message: Any,
    *,
    transport: str,
    headers: Mapping[str, Any] | None = None,
    attempts: int = 1,
    final_attempt: bool = True,
    event: IntegrationEvent | None = None,
) -> Outcome:
    """:func:`apply`, with decode errors (and, on the final attempt, handler errors)
    recorded in the dead-letter store. Re-raises handler errors when a retry follows.
    ``event`` is ``message`` already decoded, when the caller has it.
    """
    try:
        if event is not None:
            return apply_event(subscription(handler_name), event, headers)
        if isinstance(message, (bytes, str)):
            message = parse_raw(message)
        return apply(handler_name, message, headers)
    except EventDecodeError as exc:
        dead_letter(
            message=message,
            reason=exc.reason,
            error=exc.detail,
            transport=transport,
            handler=handler_name,
            attempts=attempts,
        )
        return Outcome.DEAD_LETTERED
    except Exception as exc:
        EVENTS_HANDLED.labels(handler_name, "failed").inc()
        if not final_attempt:
            raise
        dead_letter(
            message=message,
            reason=DeadLetter.Reason.HANDLER_FAILED,
            error=f"{type(exc).__name__}: {exc}",
            transport=transport,
            handler=handler_name,
            attempts=attempts,
        )
        return Outcome.DEAD_LETTERED


def retry_delay(attempt: int) -> float:
    """Exponential backoff after the ``attempt``-th failure: base, 2x base, 4x base...
    capped at five minutes."""
    return float(min(300.0, settings.EVENT_RETRY_BACKOFF_SECONDS * (2 ** max(0, attempt - 1))))


def _sleep_or_stop(seconds: float, stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if stop():
            raise ShutdownRequestedError()
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


def apply_with_retries(
    sub: Subscription,
    message: Mapping[str, Any],
    *,
    transport: str,
    headers: Mapping[str, Any] | None = None,
    stop: Callable[[], bool] = lambda: False,
    event: IntegrationEvent | None = None,
) -> Outcome:
    """Up to ``EVENT_MAX_ATTEMPTS`` runs with exponential backoff, then the dead-letter store."""
    attempts = max(1, settings.EVENT_MAX_ATTEMPTS)
    for attempt in range(1, attempts + 1):
        try:
            return apply_or_dead_letter(
                sub.handler_name,
                message,
                transport=transport,
                headers=headers,
                attempts=attempt,
                final_attempt=attempt == attempts,
                event=event,
            )
        except Exception as exc:  # retried below; the last attempt dead-letters
            log.info(
                "event_handler_retry",
                handler=sub.handler_name,
                attempt=attempt,
                error=str(exc)[:300],
            )
            _sleep_or_stop(retry_delay(attempt), stop)
    raise AssertionError("unreachable: the final attempt dead-letters or returns")


@dataclass
class _Prepared:
    """A received message, decoded once: its event and the handlers to run, or the
    reason it cannot be handled."""

    received: ReceivedMessage
    message: dict[str, Any] | None = None
    event: IntegrationEvent | None = None
    subs: list[Subscription] = field(default_factory=list)
    reason: str = ""
    error: str = ""


def _prepare(context: str, received: ReceivedMessage) -> _Prepared:
    item = _Prepared(received)
    try:
        item.message = parse_raw(received.body)
        event_type = item.message.get("event_type")
        item.subs = [s for s in subscriptions_of_context(context) if s.event_type == event_type]
        if not item.subs:
            # Kafka topics carry every event of a producer; RabbitMQ only routes
            # subscribed types here. An unknown type is reported; a known one that
            # this context simply does not handle is skipped.
            event_class(str(event_type), int(item.message.get("version", 1)))
            return item
        # Decoded once, up front: a bad payload is reported once, not once per handler.
        item.event = decode(item.message)
    except EventDecodeError as exc:
        item.reason, item.error = exc.reason, exc.detail
    except (TypeError, ValueError) as exc:  # e.g. a version that is not a number
        item.reason, item.error = DeadLetter.Reason.MALFORMED_MESSAGE, f"bad envelope: {exc}"
    return item


def _dead_letter_prepared(item: _Prepared, context: str, transport: str) -> None:
    dead_letter(
        message=item.received.body,
        reason=item.reason,
        error=item.error,
        transport=transport,
        context=context,
        parsed=item.message,
    )


def handle_received(
    context: str,
    received: ReceivedMessage,
    *,
    transport: str,
    stop: Callable[[], bool] = lambda: False,
) -> list[Outcome]:
    """What a broker consumer of ``context`` does with one message.

    Returns normally (-> ack / commit) once every subscribed handler applied the
    event, skipped it as a duplicate or dead-lettered it. Raises (-> redelivery)
    only when the dead-letter store itself cannot be written or a shutdown
    interrupts a retry.
    """
    item = _prepare(context, received)
    if item.reason:
        _dead_letter_prepared(item, context, transport)
        return [Outcome.DEAD_LETTERED]
    if item.event is None or item.message is None:
        return [Outcome.SKIPPED]
    return [
        apply_with_retries(
            sub,
            item.message,
            transport=transport,
            headers=received.headers,
            stop=stop,
            event=item.event,
        )
        for sub in item.subs
    ]


def handle_batch(
    context: str,
    batch: Sequence[ReceivedMessage],
    *,
    transport: str,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """:func:`handle_received` for consecutive messages of one consumer, in one
    database transaction: one commit for the batch instead of one per message,
    and no savepoints. Same outcome as handling them one by one: if anything in
    the batch raises, the whole transaction is rolled back and the messages are
    handled one by one (with retries and dead letters) instead. Returns once
    every message is settled (-> ack / commit all); raises like
    :func:`handle_received`.
    """
    items = [_prepare(context, received) for received in batch]
    if len(items) > 1:
        applied: list[str] = []
        duplicates: list[str] = []
        try:
            with transaction.atomic():
                keys = [
                    (item.event.event_id, sub.handler_name)
                    for item in items
                    if item.event is not None and not item.reason
                    for sub in item.subs
                ]
                fresh = _record_batch_in_inbox(keys)
                for item in items:
                    if item.reason:
                        _dead_letter_prepared(item, context, transport)
                        continue
                    if item.event is None:
                        continue
                    for sub in item.subs:
                        is_new = None
                        if fresh is not None:
                            # Only the first occurrence of a key in the batch is new.
                            key = (item.event.event_id, sub.handler_name)
                            is_new = key in fresh
                            fresh.discard(key)
                        _apply_in_batch(
                            sub, item.event, item.received.headers, applied, duplicates, is_new
                        )
        except Exception as exc:
            log.info("event_batch_rolled_back", size=len(items), error=str(exc)[:300])
        else:
            for handler in applied:
                EVENTS_HANDLED.labels(handler, "applied").inc()
            for handler in duplicates:
                EVENTS_HANDLED.labels(handler, "duplicate").inc()
            return
    for item in items:
        handle_received(context, item.received, transport=transport, stop=stop)


def _record_batch_in_inbox(keys: list[tuple[uuid.UUID, str]]) -> set[tuple[uuid.UUID, str]] | None:
    """Insert a batch's inbox rows in one statement (PostgreSQL): one round trip for
    the batch instead of one per message. Returns the ``(event_id, handler)`` keys
    that were not there yet (the rest are redeliveries); ``None`` elsewhere, where
    :func:`_apply_in_batch` records each key itself. Same transaction as the
    handlers: a rollback takes the rows back with the handlers' effects."""
    if connection.vendor != "postgresql":
        return None
    if not keys:
        return set()
    table = connection.ops.quote_name(InboxRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (event_id, handler, processed_at) "  # noqa: S608 - quoted table name; values are parameters
            "SELECT k.event_id, k.handler, %s FROM unnest(%s::uuid[], %s::text[]) "
            "AS k(event_id, handler) "
            "ON CONFLICT (event_id, handler) DO NOTHING RETURNING event_id, handler",
            [timezone.now(), [k[0] for k in keys], [k[1] for k in keys]],
        )
        return {(row[0], row[1]) for row in cursor.fetchall()}


def _apply_in_batch(
    sub: Subscription,
    event: IntegrationEvent,
    headers: Mapping[str, Any],
    applied: list[str],
    duplicates: list[str],
    is_new: bool | None = None,
) -> None:
    """One handler in a batch's transaction. ``is_new``: whether the batch's inbox
    insert was new for this key; ``None``: record it here."""
    with consumer_span(
        f"handle {event.event_type}",
        headers,
        **{"messaging.event_type": event.event_type, "bazaar.handler": sub.handler_name},
    ):
        if is_new is None:
            is_new = _record_in_inbox(event.event_id, sub.handler_name)
        if not is_new:
            log.info(
                "event_duplicate_skipped", event_id=str(event.event_id), handler=sub.handler_name
            )
            duplicates.append(sub.handler_name)
            return
        structlog.contextvars.bind_contextvars(
            event_id=str(event.event_id), handler=sub.handler_name
        )
        try:
            sub.func(event)
        finally:
            structlog.contextvars.unbind_contextvars("event_id", "handler")
        applied.append(sub.handler_name)
