"""The Celery transport: one task per (event, subscribing handler)."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.conf import settings

from bazaar_platform.events.consumer import apply_or_dead_letter


def retry_countdown(retries: int) -> float:
    """Exponential backoff: base, 2*base, 4*base ... capped at five minutes."""
    return float(min(300.0, settings.EVENT_RETRY_BACKOFF_SECONDS * (2**retries)))


@shared_task(bind=True, name="bazaar.events.handle", acks_late=True, max_retries=None)
def handle_event(
    self: Task, handler_name: str, message: dict[str, Any], headers: dict[str, str] | None = None
) -> str:
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
    """Celery beat sweeps the outbox so events stuck behind a broker outage go out."""
    from bazaar_platform.events.relay import relay_pending

    delivered, _ = relay_pending()
    return delivered
