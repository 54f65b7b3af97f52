"""The message broker interface the original design asks for: publish, subscribe, close.

Two implementations behind it: RabbitMQ (kombu; durable topic exchange, a queue per
consuming context, dead-letter exchange) and Kafka (confluent-kafka; a topic per
producing context, a consumer group per consuming context, manual commits).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


@dataclass(frozen=True)
class ReceivedMessage:
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    key: str | None = None
    topic: str = ""
    redelivered: bool = False


MessageHandler = Callable[[ReceivedMessage], None]


class Broker(Protocol):
    def publish(self, *, topic: str, key: str, body: bytes, headers: Mapping[str, str]) -> None:
        """Send one message durably; return only once the broker has accepted it."""

    def subscribe(
        self, *, group: str, topics: list[str], handler: MessageHandler, stop: Callable[[], bool]
    ) -> None:
        """Consume until ``stop()`` is true. ``handler`` returning acknowledges the
        message (ack / offset commit); ``handler`` raising leaves it for redelivery."""

    def close(self) -> None:
        """Flush and release connections."""


def encode(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), default=str).encode()


def build_broker(kind: str, url: str) -> Broker:
    if kind == "rabbitmq":
        from bazaar_platform.events.brokers.rabbitmq import RabbitMQBroker

        return RabbitMQBroker(url)
    if kind == "kafka":
        from bazaar_platform.events.brokers.kafka import KafkaBroker

        return KafkaBroker(url)
    raise ValueError(f"EVENT_BROKER must be rabbitmq or kafka, not {kind!r}")


@cache
def get_broker() -> Broker:
    return build_broker(settings.EVENT_BROKER, settings.EVENT_BROKER_URL)


def check_broker(timeout: float = 2.0) -> None:
    """Raise if the configured event broker does not answer (used by ``/readyz``)."""
    if settings.EVENT_BROKER == "kafka":
        from bazaar_platform.events.brokers.kafka import check_kafka

        check_kafka(settings.EVENT_BROKER_URL, timeout=timeout)
    else:
        from kombu import Connection

        with Connection(settings.EVENT_BROKER_URL, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=int(max(1, timeout)))


@receiver(setting_changed)
def _reset_broker(*, setting: str, **_: object) -> None:
    if setting.startswith("EVENT_BROKER"):
        if get_broker.cache_info().currsize:
            get_broker().close()
        get_broker.cache_clear()
