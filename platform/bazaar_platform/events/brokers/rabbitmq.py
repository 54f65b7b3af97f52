"""RabbitMQ behind the broker interface (kombu over py-amqp).

Topology, all durable and named from ``EVENT_NAMESPACE`` (``<ns>`` below):

* ``<ns>.events``: a topic exchange; the routing key of a message is its event type.
* ``<ns>.events.<context>``: one queue per consuming context, bound once per event
  type the context subscribes to. A quorum queue with *single active consumer*:
  several ``consume_events`` processes of one context give fail-over, never two
  consumers racing through one aggregate's events. Its ``x-delivery-limit`` hands
  a message that keeps killing its consumer to the dead-letter exchange.
* ``<ns>.events.dlx`` (fanout) -> ``<ns>.events.dead-letter``: where the broker
  parks such messages. (Messages a consumer *can* judge - malformed, unknown,
  failing handler - go to the database dead-letter store, visible in the admin.)

Publishing waits for the broker's confirm of every message (a batch's confirms are
awaited together), so the relay marks an event sent only once RabbitMQ has it. The publisher declares the queues of every
subscribing context it knows (from the handler registry), so an event published
before a context's consumer first started is not dropped as unroutable.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Collection, Sequence
from typing import Any

import structlog
from django.conf import settings
from kombu import Connection, Consumer, Exchange, Message, Producer, Queue

from bazaar_platform.events.brokers import (
    BrokerUnavailableError,
    MessageHandler,
    OutgoingMessage,
    ReceivedMessage,
    context_queue_name,
    exchange_name,
)

log = structlog.get_logger("bazaar.events.rabbitmq")


def _connect_timeout() -> int:
    return int(max(1, settings.EVENT_BROKER_CONNECT_TIMEOUT))


def _exchange() -> Exchange:
    return Exchange(exchange_name(), type="topic", durable=True)


def _dead_letter_exchange() -> Exchange:
    return Exchange(f"{exchange_name()}.dlx", type="fanout", durable=True)


def dead_letter_queue() -> Queue:
    return Queue(
        f"{exchange_name()}.dead-letter",
        exchange=_dead_letter_exchange(),
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )


def context_queue(context: str, event_types: Collection[str]) -> Queue:
    """The durable queue of one consuming context, bound by each event type it handles."""
    from kombu import binding

    exchange = _exchange()
    return Queue(
        context_queue_name(context),
        bindings=[binding(exchange, routing_key=t) for t in sorted(event_types)],
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-single-active-consumer": True,
            "x-dead-letter-exchange": _dead_letter_exchange().name,
            "x-delivery-limit": settings.EVENT_RABBITMQ_DELIVERY_LIMIT,
        },
    )


def _subscribed_contexts() -> dict[str, set[str]]:
    from bazaar_platform.events.registry import all_subscriptions

    contexts: dict[str, set[str]] = {}
    for sub in all_subscriptions():
        contexts.setdefault(sub.context, set()).add(sub.event_type)
    return contexts


def declare_topology(conn: Connection, contexts: dict[str, set[str]] | None = None) -> None:
    """Declare the exchanges and the queues of ``contexts`` (default: every subscriber)."""
    channel = conn.default_channel
    _exchange()(channel).declare()
    _dead_letter_exchange()(channel).declare()
    dead_letter_queue()(channel).declare()
    for context, event_types in (
        contexts if contexts is not None else _subscribed_contexts()
    ).items():
        context_queue(context, event_types)(channel).declare()


def check_rabbitmq(url: str, timeout: float = 2.0) -> None:
    with Connection(url, connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=0, timeout=int(max(1, timeout)))


class _Publisher:
    """One connection with one channel in confirm mode, used by one thread.

    A batch is published in one go and the broker's acks (one per message, or
    "multiple" up to a tag) are awaited once for all of it: a confirm per
    message, without a round trip per message.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Connection | None = None
        self.producer: Producer | None = None
        self.declared: frozenset[tuple[str, frozenset[str]]] = frozenset()
        self.next_tag = 1
        self.unconfirmed: dict[int, int] = {}  # delivery tag -> index in the batch
        self.outcomes: list[Exception | None] = []

    def _ready(self) -> Producer:
        if self.conn is None or self.producer is None:
            conn = Connection(self.url, connect_timeout=settings.EVENT_BROKER_CONNECT_TIMEOUT)
            try:
                conn.ensure_connection(max_retries=0, timeout=_connect_timeout())
                channel: Any = conn.default_channel  # a py-amqp channel
                channel.confirm_select()
            except Exception as exc:
                conn.release()
                raise BrokerUnavailableError(f"RabbitMQ unreachable: {exc}") from exc
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self.next_tag = 1
            self.conn = conn
            self.producer = Producer(channel, exchange=_exchange())
            self.declared = frozenset()
        contexts = _subscribed_contexts()
        wanted = frozenset((c, frozenset(t)) for c, t in contexts.items())
        if not wanted <= self.declared:
            declare_topology(self.conn, contexts)
            self.declared = self.declared | wanted
        return self.producer

    def _settle(self, delivery_tag: int, multiple: bool, outcome: Exception | None) -> None:
        tags = [t for t in self.unconfirmed if t <= delivery_tag] if multiple else [delivery_tag]
        for tag in tags:
            if tag in self.unconfirmed:
                self.outcomes[self.unconfirmed.pop(tag)] = outcome

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple, None)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple, BrokerUnavailableError("RabbitMQ refused (nack)"))

    def drop(self) -> None:
        conn, self.conn, self.producer = self.conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):  # the connection is already broken
                conn.release()

    def publish_many(self, messages: Sequence[OutgoingMessage]) -> list[Exception | None]:
        pending: Exception = BrokerUnavailableError("RabbitMQ did not confirm in time")
        self.outcomes = [pending] * len(messages)
        self.unconfirmed = {}
        try:
            producer = self._ready()
            for index, message in enumerate(messages):
                self.unconfirmed[self.next_tag] = index
                self.next_tag += 1
                producer.publish(
                    message.body,
                    routing_key=message.event_type,
                    headers=dict(message.headers),
                    # No content_encoding: py-amqp would decode the body to str;
                    # consumers get the bytes (JSON is UTF-8 by definition).
                    content_type="application/json",
                    delivery_mode=2,
                    message_id=message.event_id or None,
                    timestamp=(message.timestamp_ms or 0) // 1000 or None,
                    retry=False,
                )
            deadline = time.monotonic() + 10.0
            assert self.conn is not None
            while self.unconfirmed and time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    self.conn.drain_events(timeout=max(0.01, deadline - time.monotonic()))
            if self.unconfirmed:
                self.drop()  # late confirms would be mis-attributed
        except Exception as exc:  # every failure is reported, none raised
            self.drop()
            failure = (
                exc
                if isinstance(exc, BrokerUnavailableError)
                else BrokerUnavailableError(
                    f"RabbitMQ did not confirm: {type(exc).__name__}: {exc}"
                )
            )
            self.outcomes = [
                failure if outcome is pending else outcome for outcome in self.outcomes
            ]
        return list(self.outcomes)


class RabbitMQBroker:
    name = "rabbitmq"

    def __init__(self, url: str) -> None:
        self.url = url
        # kombu connections are not thread-safe: one publishing connection per
        # thread, so concurrent requests publish in parallel.
        self._local = threading.local()
        self._publishers: list[_Publisher] = []
        self._lock = threading.Lock()

    def _publisher(self) -> _Publisher:
        publisher: _Publisher | None = getattr(self._local, "publisher", None)
        if publisher is None:
            publisher = _Publisher(self.url)
            self._local.publisher = publisher
            with self._lock:
                self._publishers.append(publisher)
        return publisher

    def publish(self, message: OutgoingMessage) -> None:
        error = self.publish_many([message])[0]
        if error is not None:
            raise error

    def publish_many(self, messages: Sequence[OutgoingMessage]) -> list[Exception | None]:
        return self._publisher().publish_many(messages)

    # -- consuming ------------------------------------------------------------
    def subscribe(
        self,
        *,
        context: str,
        event_types: Collection[str],
        handler: MessageHandler,
        stop: Callable[[], bool],
    ) -> None:
        backoff = 0.5
        while not stop():
            try:
                self._consume(context, event_types, handler, stop)
                return
            except _HandlerRaisedError as exc:
                log.info("consumer_stopped_mid_retry", context=context, error=str(exc.__cause__))
            except Exception as exc:  # connection trouble: reconnect
                log.warning(
                    "consumer_connection_lost",
                    context=context,
                    error=f"{type(exc).__name__}: {exc}",
                )
            _sleep_unless_stopped(backoff, stop)
            backoff = min(backoff * 2, 10.0)

    def _consume(
        self,
        context: str,
        event_types: Collection[str],
        handler: MessageHandler,
        stop: Callable[[], bool],
    ) -> None:
        queue = context_queue(context, event_types)
        max_batch = max(
            1, min(settings.EVENT_CONSUMER_BATCH_SIZE, settings.EVENT_RABBITMQ_PREFETCH)
        )
        with Connection(self.url, connect_timeout=settings.EVENT_BROKER_CONNECT_TIMEOUT) as conn:
            conn.ensure_connection(max_retries=0, timeout=_connect_timeout())
            declare_topology(conn, {context: set(event_types)})
            batch: list[tuple[Message, ReceivedMessage]] = []

            def on_message(message: Message) -> None:
                raw = (
                    message.body if isinstance(message.body, bytes) else str(message.body).encode()
                )
                batch.append(
                    (
                        message,
                        ReceivedMessage(
                            body=raw,
                            headers={str(k): str(v) for k, v in (message.headers or {}).items()},
                            key=message.delivery_info.get("routing_key"),
                            topic=queue.name,
                            redelivered=bool(message.delivery_info.get("redelivered")),
                            position=str(message.delivery_tag),
                        ),
                    )
                )

            consumer = Consumer(
                conn.default_channel,
                queues=[queue],
                # on_message gets the raw message: kombu does not decode the body,
                # so garbage reaches our handler (and the dead-letter store) as bytes.
                on_message=on_message,
                no_ack=False,
                prefetch_count=settings.EVENT_RABBITMQ_PREFETCH,
            )
            with consumer:
                while not stop():
                    with contextlib.suppress(TimeoutError):
                        conn.drain_events(timeout=0.25)
                    # Whatever else has already arrived joins the batch, no waiting.
                    while batch and len(batch) < max_batch:
                        try:
                            conn.drain_events(timeout=0.001)
                        except TimeoutError:
                            break
                    if not batch:
                        continue
                    self._handle(context, handler, [r for _, r in batch], stop)
                    # One ack for the batch: everything up to its last delivery tag.
                    batch[-1][0].ack(multiple=True)
                    batch.clear()

    @staticmethod
    def _handle(
        context: str,
        handler: MessageHandler,
        received: list[ReceivedMessage],
        stop: Callable[[], bool],
    ) -> None:
        backoff = 0.2
        while True:
            try:
                handler(received)
                return
            except Exception as exc:
                if stop():
                    # Shutting down mid-retry: closing the connection requeues these
                    # and everything prefetched after them, in order.
                    raise _HandlerRaisedError() from exc
                # E.g. the database is down. Retry here rather than requeue: a requeue
                # counts against the queue's delivery limit, which is meant for
                # messages that kill their consumer.
                log.warning(
                    "consumer_handler_raised_retrying", context=context, error=str(exc)[:300]
                )
                _sleep_unless_stopped(backoff, stop)
                backoff = min(backoff * 2, 10.0)

    def close(self) -> None:
        with self._lock:
            publishers, self._publishers = self._publishers, []
        for publisher in publishers:
            publisher.drop()
        self._local = threading.local()


class _HandlerRaisedError(Exception):
    pass


def _sleep_unless_stopped(seconds: float, stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not stop() and time.monotonic() < deadline:
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
