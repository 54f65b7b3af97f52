"""The message broker interface the original design asks for: publish, subscribe, close.

Two implementations behind it: RabbitMQ (:mod:`.rabbitmq`, kombu; a durable topic
exchange, a queue per consuming context bound by event type, a dead-letter
exchange, publisher confirms, manual acks) and Kafka (:mod:`.kafka`,
confluent-kafka; a topic per producing context keyed by aggregate id, a consumer
group per consuming context, offsets committed only after the handler succeeded).

Names are derived from ``EVENT_NAMESPACE`` so deployments (and test runs) sharing a
broker do not see each other's messages.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


@dataclass(frozen=True)
class OutgoingMessage:
    """One event on its way to the broker."""

    producer: str  # the producing context: the Kafka topic
    event_type: str  # the RabbitMQ routing key
    key: str  # the aggregate id: the Kafka partition key, the ordering unit
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    event_id: str = ""
    timestamp_ms: int | None = None  # the event's occurred_at (Kafka message timestamp)


@dataclass(frozen=True)
class ReceivedMessage:
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    key: str | None = None
    topic: str = ""
    redelivered: bool = False
    position: str = ""  # "partition:offset" on Kafka, the delivery tag on RabbitMQ


# Called with consecutive messages of one consumer (at least one, at most
# EVENT_CONSUMER_BATCH_SIZE), in order. Returning acknowledges them all.
MessageHandler = Callable[[Sequence[ReceivedMessage]], None]


class BrokerUnavailableError(Exception):
    """The broker did not accept a message (down, timed out, refused)."""


class Broker(Protocol):
    name: str

    def publish(self, message: OutgoingMessage) -> None:
        """Send one message durably; return only once the broker has accepted it."""

    def publish_many(self, messages: Sequence[OutgoingMessage]) -> list[Exception | None]:
        """Send several messages of *distinct* aggregates; one outcome per message.

        Returns only once every message is accepted or failed. The relay never puts
        two messages of one aggregate in a call, so a failure cannot reorder them.
        """

    def subscribe(
        self,
        *,
        context: str,
        event_types: Collection[str],
        handler: MessageHandler,
        stop: Callable[[], bool],
    ) -> None:
        """Consume ``context``'s messages until ``stop()`` is true.

        ``handler`` gets the messages that have arrived, in order, in batches of at
        most ``EVENT_CONSUMER_BATCH_SIZE``; returning acknowledges them (ack / offset
        commit); raising leaves them (and everything after them) for redelivery.
        The batch in flight is always finished before ``stop()`` is honoured.
        """

    def close(self) -> None:
        """Flush and release connections."""


def encode(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), default=str).encode()


def exchange_name() -> str:
    return f"{settings.EVENT_NAMESPACE}.events"


def context_queue_name(context: str) -> str:
    """RabbitMQ queue / Kafka consumer group of one consuming context."""
    return f"{settings.EVENT_NAMESPACE}.events.{context}"


def producer_topic_name(producer: str) -> str:
    """Kafka topic of one producing context."""
    return f"{settings.EVENT_NAMESPACE}.events.{producer}"


def build_broker(kind: str, url: str) -> Broker:
    if kind == "rabbitmq":
        from bazaar_platform.events.brokers.rabbitmq import RabbitMQBroker

        return RabbitMQBroker(url)
    if kind == "kafka":
        from bazaar_platform.events.brokers.kafka import KafkaBroker

        return KafkaBroker(url)
    raise ValueError(f"EVENT_BROKER must be rabbitmq or kafka, not {kind!r}")


_broker_lock = threading.Lock()
_broker: Broker | None = None


def get_broker() -> Broker:
    """The process's publishing broker client (built from settings on first use)."""
    global _broker
    with _broker_lock:
        if _broker is None:
            _broker = build_broker(settings.EVENT_BROKER, settings.EVENT_BROKER_URL)
        return _broker


def reset_broker() -> None:
    """Close the publishing client; the next :func:`get_broker` builds a fresh one."""
    global _broker
    with _broker_lock:
        broker, _broker = _broker, None
    if broker is not None:
        with contextlib.suppress(Exception):  # closing a dead connection may fail
            broker.close()


def check_broker(timeout: float = 2.0) -> None:
    """Raise if the configured event broker does not answer (used by ``/readyz``)."""
    if settings.EVENT_BROKER == "kafka":
        from bazaar_platform.events.brokers.kafka import check_kafka

        check_kafka(settings.EVENT_BROKER_URL, timeout=timeout)
    else:
        from bazaar_platform.events.brokers.rabbitmq import check_rabbitmq

        check_rabbitmq(settings.EVENT_BROKER_URL, timeout=timeout)


@receiver(setting_changed)
def _reset_broker(*, setting: str, **_: object) -> None:
    if setting.startswith("EVENT_"):
        reset_broker()
