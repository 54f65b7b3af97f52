"""Celery tasks of the notifications context: thin wrappers around services.

``notifications.deliver`` runs one delivery attempt and retries with exponential
backoff while the service says so (eagerly, i.e. immediately, in the embedded
profile). ``notifications.resend_stuck`` is the beat sweep for lost tasks.
"""

from __future__ import annotations

from uuid import UUID

from celery import Task, shared_task

from contexts.notifications.services import deliveries_resend_stuck, delivery_attempt
from contexts.notifications.services.messages import DELIVER_TASK


@shared_task(bind=True, name=DELIVER_TASK, acks_late=True, max_retries=None, ignore_result=True)
def deliver(self: Task, delivery_id: str) -> str:
    # Eagerly run tasks (embedded profile) are retried at once by Celery: no waiting.
    result = delivery_attempt(
        delivery_id=UUID(delivery_id), respect_schedule=not self.request.is_eager
    )
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in)
    return result.status


@shared_task(name="notifications.resend_stuck", ignore_result=True)
def resend_stuck() -> int:
    return deliveries_resend_stuck()
