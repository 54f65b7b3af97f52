"""System checks of the event platform's settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

from bazaar_platform.events.celery_config import is_kafka_url


@register()
def check_celery_over_kafka(**_: Any) -> list[CheckMessage]:
    """Celery over Kafka is supported but can lose acknowledged task messages
    (ADR 0008): say so where an operator sees it, at every ``manage.py`` start."""
    if not is_kafka_url(settings.CELERY_BROKER_URL):
        return []
    if settings.EVENT_DISPATCH == "celery":
        hint = (
            "For events on Kafka use EVENT_DISPATCH=broker with EVENT_BROKER=kafka and run "
            "`manage.py consume_events` per context; give Celery a RabbitMQ broker."
        )
    else:
        hint = "Give Celery a RabbitMQ broker (amqp://) for its own tasks."
    return [
        Warning(
            "Celery over Kafka (CELERY_BROKER_URL=confluentkafka://...) can lose acknowledged "
            "task messages: kombu's Kafka transport commits the consumer's position, not the "
            "acknowledged message (docs/adr/0008-kafka-dispatch.md).",
            hint=hint,
            id="bazaar_events.W001",
        )
    ]
