"""The outbox relay: deliver committed events, in order per aggregate, until they get through.

Every sender (the after-commit fast path and the periodic sweep) locks an
aggregate's pending rows in ascending id order with a *blocking* ``FOR UPDATE``:
two senders of the same aggregate queue up instead of overtaking each other, and
because locks are always taken in id order they cannot deadlock. A delivery that
fails stops that aggregate's drain (its later events must not overtake it) and
leaves the rows pending for the sweep.
"""

from __future__ import annotations

import structlog
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bazaar_platform.events.dispatch import get_dispatcher
from bazaar_platform.events.models import OutboxMessage

log = structlog.get_logger("bazaar.events.relay")


class DeliveryFailedError(Exception):
    pass


def drain_aggregate(aggregate_id: str, *, using: str = "default") -> int:
    """Deliver every pending event of one aggregate, oldest first. Returns how many."""
    dispatcher = get_dispatcher()
    delivered = 0
    failed: tuple[int, str] | None = None
    with transaction.atomic(using=using):
        rows = list(
            OutboxMessage.objects.using(using)
            .select_for_update()
            .filter(aggregate_id=aggregate_id, dispatched_at__isnull=True)
            .order_by("id")
        )
        for row in rows:
            try:
                dispatcher.deliver(row)
            except Exception as exc:
                failed = (row.pk, f"{type(exc).__name__}: {exc}"[:2000])
                break
            row.dispatched_at = timezone.now()
            row.attempts += 1
            row.save(update_fields=["dispatched_at", "attempts"], using=using)
            delivered += 1
    if failed is not None:
        OutboxMessage.objects.using(using).filter(pk=failed[0]).update(
            attempts=F("attempts") + 1, last_error=failed[1]
        )
        log.warning("outbox_delivery_failed", aggregate_id=aggregate_id, error=failed[1])
        raise DeliveryFailedError(failed[1])
    return delivered


def drain_aggregate_quietly(aggregate_id: str, *, using: str = "default") -> None:
    """The after-commit fast path: a failure is left to the sweep, never raised into
    the request that already committed its state change."""
    try:
        drain_aggregate(aggregate_id, using=using)
    except DeliveryFailedError:
        pass
    except Exception:
        log.exception("outbox_fast_path_failed", aggregate_id=aggregate_id)


def relay_pending(*, batch_size: int = 500, using: str = "default") -> tuple[int, int]:
    """Sweep: drain every aggregate that has pending events. Returns (delivered, failed)."""
    aggregates = list(
        OutboxMessage.objects.using(using)
        .filter(dispatched_at__isnull=True)
        .order_by("id")
        .values_list("aggregate_id", flat=True)[:batch_size]
    )
    delivered = failed = 0
    for aggregate_id in dict.fromkeys(aggregates):  # unique, oldest first
        try:
            delivered += drain_aggregate(aggregate_id, using=using)
        except DeliveryFailedError:
            failed += 1
    return delivered, failed
