"""How a committed event reaches its handlers, chosen by ``EVENT_DISPATCH``.

The handler code is the same in every mode; only the transport differs:

* ``inprocess``: the relay runs each subscribed handler itself, right after commit.
* ``celery``: one Celery task per subscribing handler, on queue ``events.<context>``
  (``celery -A config worker -Q events.<context>``), retried with exponential backoff.
* ``broker``: one message on the event broker (RabbitMQ or Kafka); each context's
  ``manage.py consume_events --context <ctx>`` takes it from there.

A dispatcher is given rows of *distinct* aggregates (the relay sends an aggregate's
next event only once the previous one is through) and reports an outcome per row.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from bazaar_platform.events.consumer import apply_or_dead_letter
from bazaar_platform.events.models import OutboxMessage
from bazaar_platform.events.registry import subscriptions_for


class Dispatcher(Protocol):
    name: str

    def deliver_many(self, rows: Sequence[OutboxMessage]) -> list[Exception | None]:
        """Hand committed events to the transport; one outcome per row (``None``: accepted)."""

    def close(self) -> None:
        """Release connections."""


def context_queue(context: str) -> str:
    """The Celery queue of a consuming context."""
    return f"events.{context}"


class InProcessDispatcher:
    """Run each subscribed handler now, in this process.

    Handler failures are retried a few times with a short backoff (this runs on the
    committing thread, so it must stay short) and then dead-lettered: one failing
    handler never stops the others or the request.
    """

    name = "inprocess"

    def deliver_many(self, rows: Sequence[OutboxMessage]) -> list[Exception | None]:
        attempts = max(1, settings.EVENT_MAX_ATTEMPTS)
        for row in rows:
            for sub in subscriptions_for(row.event_type):
                for attempt in range(1, attempts + 1):
                    try:
                        apply_or_dead_letter(
                            sub.handler_name,
                            row.message,
                            transport=self.name,
                            headers=row.headers,
                            attempts=attempt,
                            final_attempt=attempt == attempts,
                        )
                        break
                    except Exception:  # retried, then dead-lettered above
                        time.sleep(min(0.2, 0.01 * 2 ** (attempt - 1)))
        return [None] * len(rows)

    def close(self) -> None:
        pass


class CeleryDispatcher:
    """One Celery task per subscribing handler, routed to the handler's context queue.

    Keeps its own broker connections (built from ``CELERY_BROKER_URL`` at first use;
    one per thread, kombu connections are not thread-safe) so a delivery failure
    is reported to the relay instead of being retried inside the request for long.
    """

    name = "celery"

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[Any] = []

    def _ready_producer(self) -> Any:
        producer = getattr(self._local, "producer", None)
        if producer is None:
            from kombu import Connection

            from bazaar_platform.events import celery_config
            from bazaar_platform.events.tasks import handle_event

            url = settings.CELERY_BROKER_URL
            # Built from the current settings (not the app's cached conf) so a
            # changed CELERY_BROKER_URL takes effect after reset_dispatcher().
            conn = Connection(
                url,
                transport=celery_config.broker_transport(url),
                transport_options=celery_config.broker_transport_options(
                    url,
                    delivery_timeout_ms=settings.EVENT_KAFKA_DELIVERY_TIMEOUT_MS,
                    session_timeout_ms=settings.EVENT_KAFKA_SESSION_TIMEOUT_MS,
                    fetch_wait_max_ms=settings.EVENT_KAFKA_FETCH_WAIT_MAX_MS,
                ),
                connect_timeout=settings.EVENT_BROKER_CONNECT_TIMEOUT,
            )
            try:
                conn.ensure_connection(
                    max_retries=0, timeout=int(max(1, settings.EVENT_BROKER_CONNECT_TIMEOUT))
                )
            except Exception:
                conn.release()
                raise
            producer = handle_event.app.amqp.Producer(conn, auto_declare=False)
            self._local.connection, self._local.producer = conn, producer
            with self._lock:
                self._connections.append(conn)
        return producer

    def deliver_many(self, rows: Sequence[OutboxMessage]) -> list[Exception | None]:
        from bazaar_platform.events.tasks import handle_event

        results: list[Exception | None] = []
        for row in rows:
            try:
                producer = self._ready_producer()
                for sub in subscriptions_for(row.event_type):
                    handle_event.apply_async(
                        args=(sub.handler_name, row.message, row.headers),
                        queue=context_queue(sub.context),
                        producer=producer,
                        retry=False,
                    )
                results.append(None)
            except Exception as exc:  # reported to the relay, retried later
                self._drop()
                results.append(exc)
        return results

    def _drop(self) -> None:
        conn = getattr(self._local, "connection", None)
        self._local.connection = self._local.producer = None
        if conn is not None:
            with self._lock:
                if conn in self._connections:
                    self._connections.remove(conn)
            with contextlib.suppress(Exception):  # already broken
                conn.release()

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(Exception):
                conn.release()
        self._local = threading.local()


class BrokerDispatcher:
    """Publish to the event broker (RabbitMQ or Kafka); context consumers take it from there."""

    name = "broker"

    def deliver_many(self, rows: Sequence[OutboxMessage]) -> list[Exception | None]:
        from bazaar_platform.events.brokers import OutgoingMessage, encode, get_broker

        messages = [
            OutgoingMessage(
                producer=row.producer,
                event_type=row.event_type,
                key=row.aggregate_id,
                body=encode(row.message),
                headers={str(k): str(v) for k, v in (row.headers or {}).items()},
                event_id=str(row.event_id),
                timestamp_ms=int(row.occurred_at.timestamp() * 1000),
            )
            for row in rows
        ]
        return get_broker().publish_many(messages)

    def close(self) -> None:
        from bazaar_platform.events.brokers import reset_broker

        reset_broker()


_DISPATCHERS: dict[str, type[Dispatcher]] = {
    "inprocess": InProcessDispatcher,
    "celery": CeleryDispatcher,
    "broker": BrokerDispatcher,
}

_lock = threading.Lock()
_dispatcher: Dispatcher | None = None


def get_dispatcher() -> Dispatcher:
    global _dispatcher
    with _lock:
        if _dispatcher is None:
            try:
                _dispatcher = _DISPATCHERS[settings.EVENT_DISPATCH]()
            except KeyError:
                raise ValueError(
                    f"EVENT_DISPATCH must be one of {sorted(_DISPATCHERS)}, "
                    f"not {settings.EVENT_DISPATCH!r}"
                ) from None
        return _dispatcher


def reset_dispatcher() -> None:
    global _dispatcher
    with _lock:
        dispatcher, _dispatcher = _dispatcher, None
    if dispatcher is not None:
        dispatcher.close()


@receiver(setting_changed)
def _reset_dispatcher(*, setting: str, **_: object) -> None:
    if setting.startswith("EVENT_") or setting.startswith("CELERY_"):
        reset_dispatcher()
