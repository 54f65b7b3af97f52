"""How a committed event reaches its handlers, chosen by ``EVENT_DISPATCH``.

The handler code is the same in every mode; only the transport differs.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from bazaar_platform.events.consumer import apply_or_dead_letter
from bazaar_platform.events.models import OutboxMessage
from bazaar_platform.events.registry import subscriptions_for


class Dispatcher(Protocol):
    def deliver(self, row: OutboxMessage) -> None:
        """Hand one committed event to its transport; raise if the transport refused it."""


def context_queue(context: str) -> str:
    """The Celery queue (and broker consumer group) of a consuming context."""
    return f"events.{context}"


class InProcessDispatcher:
    """Run each subscribed handler now, in this process, right after commit.

    Handler failures are retried a few times with a short backoff (this runs on the
    committing thread, so it must stay short) and then dead-lettered: one failing
    handler never stops the others or the request.
    """

    name = "inprocess"

    def deliver(self, row: OutboxMessage) -> None:
        attempts = max(1, settings.EVENT_MAX_ATTEMPTS)
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
                except Exception:
                    time.sleep(min(0.2, 0.01 * 2 ** (attempt - 1)))


class CeleryDispatcher:
    """One Celery task per subscribing handler, routed to the handler's context queue."""

    name = "celery"

    def deliver(self, row: OutboxMessage) -> None:
        from bazaar_platform.events.tasks import handle_event

        for sub in subscriptions_for(row.event_type):
            handle_event.apply_async(
                args=(sub.handler_name, row.message, row.headers),
                queue=context_queue(sub.context),
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
            )


class BrokerDispatcher:
    """Publish to the event broker (RabbitMQ or Kafka); context consumers take it from there."""

    name = "broker"

    def deliver(self, row: OutboxMessage) -> None:
        from bazaar_platform.events.brokers import encode, get_broker

        get_broker().publish(
            topic=row.producer, key=row.aggregate_id, body=encode(row.message), headers=row.headers
        )


_DISPATCHERS: dict[str, type[Dispatcher]] = {
    "inprocess": InProcessDispatcher,
    "celery": CeleryDispatcher,
    "broker": BrokerDispatcher,
}


@cache
def get_dispatcher() -> Dispatcher:
    try:
        return _DISPATCHERS[settings.EVENT_DISPATCH]()
    except KeyError:
        raise ValueError(
            f"EVENT_DISPATCH must be one of {sorted(_DISPATCHERS)}, not {settings.EVENT_DISPATCH!r}"
        ) from None


@receiver(setting_changed)
def _reset_dispatcher(*, setting: str, **_: object) -> None:
    if setting.startswith("EVENT_"):
        get_dispatcher.cache_clear()
