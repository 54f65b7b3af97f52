"""The event platform: outbox, dispatch (in-process, Celery, RabbitMQ, Kafka), inbox, replay.

Public API for contexts::

    from bazaar_platform.events import IntegrationEvent, publish, register_handlers
"""

from bazaar_platform.events.base import IntegrationEvent
from bazaar_platform.events.registry import register_handlers


def publish(event: IntegrationEvent, *, using: str = "default") -> object:
    from bazaar_platform.events.publisher import publish as _publish

    return _publish(event, using=using)


__all__ = ["IntegrationEvent", "publish", "register_handlers"]
