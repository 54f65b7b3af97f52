"""The Celery transport: one task per (event, subscribing handler), plus the relay sweep."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.conf import settings

from bazaar_platform.events.consumer import apply_or_dead_letter, retry_delay


def retry_countdown(retries: int) -> float:
    """Exponential backoff before retry ``retries + 1``: base, 2x base, 4x base ...
    (``EVENT_RETRY_BACKOFF_SECONDS``), capped at five minutes."""
    return retry_delay(retries + 1)


@shared_task(bind=True, name="bazaar.events.handle", acks_late=True, max_retries=None)
def handle_event(
    self: Task, handler_name: str, message: dict[str, Any], headers: dict[str, str] | None = None
) -> str:
    """Apply one event to one handler; retry with backoff, dead-letter after
    ``EVENT_MAX_ATTEMPTS`` attempts. Redelivery is harmless: the inbox skips it."""
    attempt = self.request.retries + 1
    final = attempt >= settings.EVENT_MAX_ATTEMPTS
    try:
        outcome = apply_or_dead_letter(
            handler_name,
            message,
            transport="celery",
            headers=headers,
            attempts=attempt,
            final_attempt=final,
        )
    except Exception as exc:
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc
    return outcome.value


@shared_task(name="bazaar.events.relay_outbox", ignore_result=True)
def relay_outbox() -> int:
    """Celery beat sweeps the outbox so events stuck behind a broker outage go out
    (a fallback for deployments that do not run ``manage.py relay_outbox``)."""
    from bazaar_platform.events.relay import relay_pending, sweep_grace_seconds

    delivered, _ = relay_pending(min_age=sweep_grace_seconds())
    return delivered
