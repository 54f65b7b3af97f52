"""Celery tasks of the payments context: thin wrappers around services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from contexts.payments.services.sandbox import DELIVERY_TASK, sandbox_webhook_deliver

MAX_DELIVERY_RETRIES = 10


@shared_task(bind=True, name=DELIVERY_TASK, ignore_result=True, max_retries=MAX_DELIVERY_RETRIES)
def sandbox_deliver_webhook(self: Any, checkout_id: str) -> bool:
    """The sandbox gateway delivering a signed webhook, retried with backoff like a real
    gateway (5 s, 10 s, 20 s ... capped at one hour) until our endpoint answers 2xx."""
    if sandbox_webhook_deliver(checkout_id=checkout_id):
        return True
    if self.request.is_eager:
        return False
    raise self.retry(countdown=min(5 * 2**self.request.retries, 3600))
