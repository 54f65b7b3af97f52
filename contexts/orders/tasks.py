"""Celery tasks of the orders context: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from contexts.orders.services.lifecycle import orders_expire_unpaid
from contexts.orders.services.refunds import refunds_retry


@shared_task(name="orders.expire_unpaid", ignore_result=True)
def orders_expire_unpaid_task() -> int:
    """Beat (``ORDERS_EXPIRY_RUN_SECONDS``): cancel unpaid orders past their payment
    deadline and release their stock. The vendors context's own reservation expiry
    does the same through its event; this is the second line if that event is late."""
    return orders_expire_unpaid()


@shared_task(name="orders.refunds_retry", ignore_result=True)
def orders_refunds_retry_task() -> int:
    """Beat: resend refunds the payment gateway could not take (it was unreachable)."""
    return refunds_retry()
