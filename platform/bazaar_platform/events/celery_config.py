"""Celery broker options per transport, shared by ``config/settings.py`` and the
Celery dispatcher (which rebuilds its connection when the broker URL changes).

Plain data, no Django imports: the settings module imports it.
"""

from __future__ import annotations

from typing import Any

KAFKA_SCHEMES = ("confluentkafka://", "kafka://")
AMQP_SCHEMES = ("amqp://", "amqps://", "pyamqp://")
KAFKA_TRANSPORT = "bazaar_platform.events.brokers.celery_kafka:Transport"


def is_kafka_url(url: str) -> bool:
    return url.startswith(KAFKA_SCHEMES)


def broker_transport(url: str) -> str | None:
    """The kombu transport class for ``url`` (``None``: kombu's default for its scheme)."""
    return KAFKA_TRANSPORT if is_kafka_url(url) else None


def broker_transport_options(
    url: str,
    *,
    delivery_timeout_ms: int,
    session_timeout_ms: int,
    fetch_wait_max_ms: int = 25,
    polling_interval: float = 0.05,
    wait_time_seconds: float = 1.0,
) -> dict[str, Any]:
    """Transport options that make a Celery task message as durable as an event.

    * RabbitMQ: publisher confirms, so the relay marks an event sent only once the
      broker has the task message.
    * Kafka: acks from all replicas and a bounded delivery timeout (our transport
      raises when it expires), and a short polling interval: kombu's virtual
      transport sleeps ``polling_interval`` whenever a poll comes back empty.
    """
    if url.startswith(AMQP_SCHEMES):
        return {"confirm_publish": True}
    if is_kafka_url(url):
        return {
            "polling_interval": polling_interval,
            "wait_time_seconds": wait_time_seconds,
            "kafka_common_config": {"socket.nagle.disable": True},
            "kafka_producer_config": {
                "acks": "all",
                "message.timeout.ms": delivery_timeout_ms,
                "linger.ms": 0,
            },
            "kafka_consumer_config": {
                "session.timeout.ms": session_timeout_ms,
                "fetch.wait.max.ms": fetch_wait_max_ms,
            },
        }
    return {}
