"""Celery tasks of the subscriptions context: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from contexts.subscriptions.services.billing import billing_run


@shared_task(name="subscriptions.billing_run", ignore_result=True)
def subscriptions_billing_run() -> dict[str, int]:
    """Beat (CELERY_BEAT_SCHEDULE): renewal charges and their payment links, period
    roll-over, past-due and expiry moves, abandoned pending subscriptions."""
    return dict(billing_run().__dict__)
