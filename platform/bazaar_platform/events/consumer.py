"""Apply one message to one handler, exactly once per ``(event_id, handler)``.

Every transport ends here: the in-process dispatcher, the Celery task and the
broker consumers. Undecodable messages go to the dead-letter store with their
reason instead of crashing the consumer.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from typing import Any

import structlog
from django.db import IntegrityError, transaction

from bazaar_platform.events.models import DeadLetter, InboxRecord
from bazaar_platform.events.registry import EventDecodeError, decode, subscription
from bazaar_platform.events.tracing import consumer_span
from bazaar_platform.observability.metrics import EVENTS_HANDLED

log = structlog.get_logger("bazaar.events")


class Outcome(enum.Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead_lettered"


def _raw(message: Any) -> str:
    if isinstance(message, (bytes, bytearray)):
        return bytes(message).decode("utf-8", errors="replace")
    if isinstance(message, str):
        return message
    try:
        return json.dumps(message, default=str)
    except (TypeError, ValueError):
        return repr(message)


def dead_letter(
    *,
    message: Any,
    reason: str,
    error: str,
    transport: str,
    handler: str = "",
    attempts: int = 1,
) -> DeadLetter:
    event_id = event_type = None
    if isinstance(message, Mapping):
        event_id, event_type = message.get("event_id"), message.get("event_type")
    try:
        import uuid

        parsed_id = uuid.UUID(str(event_id)) if event_id else None
    except ValueError:
        parsed_id = None
    letter = DeadLetter.objects.create(
        event_id=parsed_id,
        event_type=str(event_type or "")[:120],
        handler=handler,
        transport=transport,
        reason=reason,
        error=error[:10_000],
        raw=_raw(message),
        attempts=attempts,
    )
    EVENTS_HANDLED.labels(handler or "<none>", "dead_lettered").inc()
    log.warning(
        "event_dead_lettered",
        reason=reason,
        handler=handler,
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


def apply(
    handler_name: str, message: Mapping[str, Any], headers: Mapping[str, Any] | None = None
) -> Outcome:
    """Run ``handler_name`` on ``message`` unless it already ran for this event.

    Raises whatever the handler raises (the caller decides about retries); decode
    failures raise :class:`EventDecodeError` for the caller to dead-letter.
    """
    sub = subscription(handler_name)
    event = decode(message)
    with (
        consumer_span(
            f"handle {event.event_type}",
            headers or {},
            **{"messaging.event_type": event.event_type, "bazaar.handler": handler_name},
        ),
        transaction.atomic(),
    ):
        try:
            with transaction.atomic():
                InboxRecord.objects.create(event_id=event.event_id, handler=handler_name)
        except IntegrityError:
            EVENTS_HANDLED.labels(handler_name, "duplicate").inc()
            return Outcome.DUPLICATE
        structlog.contextvars.bind_contextvars(event_id=str(event.event_id), handler=handler_name)
        sub.func(event)
    EVENTS_HANDLED.labels(handler_name, "applied").inc()
    return Outcome.APPLIED


def apply_or_dead_letter(
    handler_name: str,
    message: Any,
    *,
    transport: str,
    headers: Mapping[str, Any] | None = None,
    attempts: int = 1,
    final_attempt: bool = True,
) -> Outcome:
    """:func:`apply`, with decode errors (and, on the final attempt, handler errors)
    recorded in the dead-letter store. Re-raises handler errors when a retry follows.
    """
    try:
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
