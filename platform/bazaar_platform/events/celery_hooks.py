"""Bad input on a Celery queue is recorded in the dead-letter store, not just logged.

Celery already survives garbage on its queues (it logs, acknowledges and moves on);
these hooks add the record the event platform promises for every malformed message:

* ``task_rejected`` (a message that is not a Celery task) and ``task_unknown`` (a task
  name this worker does not know) signals;
* :class:`Consumer`, set as ``CELERY_WORKER_CONSUMER``: a body that cannot be decoded.

The Kafka transport's own garbage (bytes that are not even a kombu envelope) is
recorded by :mod:`bazaar_platform.events.brokers.celery_kafka`.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery import signals
from celery.worker.consumer import Consumer as CeleryConsumer

log = structlog.get_logger("bazaar.events.celery")

_connected = False


def _context_of(message: Any) -> str:
    info = getattr(message, "delivery_info", None) or {}
    queue = str(info.get("routing_key") or "")
    return queue.removeprefix("events.") if queue.startswith("events.") else ""


def record_bad_message(message: Any, *, reason: str, error: str, transport: str = "celery") -> None:
    """Write a dead letter for a queue message no task could be made of; never raises
    (the worker must go on even if the database is unavailable)."""
    from bazaar_platform.events.consumer import dead_letter

    body = getattr(message, "body", message)
    try:
        dead_letter(
            message=body if isinstance(body, (bytes, str)) else repr(body),
            reason=reason,
            error=error,
            transport=transport,
            context=_context_of(message),
        )
    except Exception:
        log.exception("celery_dead_letter_failed", reason=reason, error=error[:300])


def _on_task_rejected(sender: Any = None, message: Any = None, exc: Any = None, **_: Any) -> None:
    detail = f": {exc}" if exc else ""
    record_bad_message(
        message, reason="malformed_message", error=f"not a Celery task message{detail}"
    )


def _on_task_unknown(
    sender: Any = None, message: Any = None, exc: Any = None, name: Any = None, **_: Any
) -> None:
    record_bad_message(message, reason="malformed_message", error=f"unknown Celery task {name!r}")


def connect() -> None:
    global _connected
    if _connected:
        return
    signals.task_rejected.connect(_on_task_rejected, weak=False)
    signals.task_unknown.connect(_on_task_unknown, weak=False)
    _connected = True


class Consumer(CeleryConsumer):
    """Celery's worker consumer, recording undecodable bodies before acknowledging them."""

    def on_decode_error(self, message: Any, exc: Exception) -> None:
        record_bad_message(message, reason="malformed_message", error=f"cannot decode: {exc}")
        super().on_decode_error(message, exc)
