"""The outbox relay: deliver committed events, in order per aggregate, until they get through.

Two kinds of sender share the work:

* the **fast path** (``EVENT_RELAY_INLINE``): right after a commit, the committing
  process drains that event's aggregate;
* the **sweep**: ``manage.py relay_outbox`` (woken by PostgreSQL ``NOTIFY`` from
  :func:`~bazaar_platform.events.publisher.publish`, with a poll fallback) and the
  Celery beat task ``bazaar.events.relay_outbox`` deliver everything still pending,
  e.g. because the broker was down at commit time.

Ordering. Every sender locks the rows it sends (``SELECT ... FOR UPDATE``, in id
order, so two senders cannot deadlock) and marks them sent in the same
transaction. Rows of one aggregate are handed to the transport one at a time (in
"rounds": one row per aggregate per round), and a failed row stops its aggregate
for this pass, so a later event can never overtake an earlier one. The sweep
waits for locks; the fast path tries ``NOWAIT`` first and then waits only briefly
(``EVENT_RELAY_INLINE_LOCK_WAIT_MS``), leaving longer holds to the relay. This assumes writers of one aggregate serialise on it
(they update its row), which makes outbox ids follow commit order per aggregate.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from datetime import timedelta

import structlog
from django.conf import settings
from django.core.signals import setting_changed
from django.db import OperationalError, connections, transaction
from django.db.models import F, QuerySet
from django.dispatch import receiver
from django.utils import timezone

from bazaar_platform.events.dispatch import get_dispatcher
from bazaar_platform.events.models import OutboxMessage

log = structlog.get_logger("bazaar.events.relay")


class DeliveryFailedError(Exception):
    pass


class _Paused:
    """After a failed fast-path delivery, the fast path stands aside for a while."""

    def __init__(self) -> None:
        self.until = 0.0
        self.lock = threading.Lock()

    def active(self) -> bool:
        return time.monotonic() < self.until

    def pause(self) -> None:
        with self.lock:
            self.until = time.monotonic() + settings.EVENT_RELAY_INLINE_COOLDOWN_SECONDS

    def clear(self) -> None:
        self.until = 0.0


_inline_pause = _Paused()


def _deliver(rows: Iterable[OutboxMessage]) -> tuple[list[OutboxMessage], dict[int, str]]:
    """Deliver ``rows`` (id order) in rounds of one row per aggregate."""
    dispatcher = get_dispatcher()
    per_aggregate: OrderedDict[str, deque[OutboxMessage]] = OrderedDict()
    for row in rows:
        per_aggregate.setdefault(row.aggregate_id, deque()).append(row)
    delivered: list[OutboxMessage] = []
    failed: dict[int, str] = {}
    while per_aggregate:
        heads = [queue[0] for queue in per_aggregate.values()]
        try:
            outcomes = dispatcher.deliver_many(heads)
        except Exception as exc:  # a dispatcher bug must not lose events either
            outcomes = [exc] * len(heads)
        for row, error in zip(heads, outcomes, strict=True):
            queue = per_aggregate[row.aggregate_id]
            if error is None:
                delivered.append(row)
                queue.popleft()
                if not queue:
                    del per_aggregate[row.aggregate_id]
            else:
                failed[row.pk] = f"{type(error).__name__}: {error}"[:2000]
                del per_aggregate[row.aggregate_id]  # its later events wait for the next pass
    return delivered, failed


def _record(delivered: list[OutboxMessage], failed: dict[int, str], using: str) -> None:
    if delivered:
        OutboxMessage.objects.using(using).filter(pk__in=[r.pk for r in delivered]).update(
            dispatched_at=timezone.now(), attempts=F("attempts") + 1
        )
    for pk, error in failed.items():
        OutboxMessage.objects.using(using).filter(pk=pk).update(
            attempts=F("attempts") + 1, last_error=error
        )


_OUTBOX_COLUMNS = (
    "id, event_id, event_type, version, producer, aggregate_id, message, headers, "
    "occurred_at, created_at, dispatched_at, attempts, last_error"
)
# Relay transactions commit with ``synchronous_commit = off`` (PostgreSQL). The event
# itself is already durable (the publisher's commit is synchronous); this transaction
# records that it went out (``dispatched_at``) and, with the in-process dispatcher, the
# handlers' effects and inbox rows. A database crash can lose only the last such
# transactions (the WAL is replayed in order, and any later synchronous commit flushes
# them too): their rows are pending again and are delivered again, in order; whatever
# reached a broker meanwhile is a duplicate the inbox absorbs. So waiting for the flush
# buys nothing but one fsync per delivery.
#
# What a claim returns: the row, plus ``SET LOCAL synchronous_commit = off`` as an
# expression (``set_config(..., is_local => true)``), so that it rides on the claim
# instead of costing a round trip of its own. The setting is read at COMMIT, so
# setting it in the UPDATE is as good as before it; and a claim that returns no row
# wrote nothing, so its commit has nothing to flush anyway.
_CLAIM_RETURNING = (
    f"{_OUTBOX_COLUMNS}, set_config('synchronous_commit', 'off', true) AS relaxed_commit"
)


def _claim_aggregate(
    aggregate_id: str, using: str, lock_wait_ms: int | None
) -> list[OutboxMessage]:
    """Lock the aggregate's pending rows and mark them sent, in one statement (one
    round trip instead of a SELECT ... FOR UPDATE and an UPDATE). Rows the transport
    then does not take are put back by :func:`_unclaim` in the same transaction, so
    a rollback or a crash leaves every row as it was."""
    connection = connections[using]
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    if lock_wait_ms:  # (the claim itself relaxes the commit: _CLAIM_RETURNING)
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {int(lock_wait_ms)}")
    # The subquery locks in id order (two senders cannot deadlock) and NOWAIT,
    # or within lock_timeout, gives up on an aggregate another sender holds.
    sql = (
        f"UPDATE {table} SET dispatched_at = %s, attempts = attempts + 1 "  # noqa: S608 - quoted table name; values are parameters
        f"WHERE id IN (SELECT id FROM {table} WHERE aggregate_id = %s "
        "AND dispatched_at IS NULL ORDER BY id FOR UPDATE"
        f"{' NOWAIT' if lock_wait_ms == 0 else ''}) RETURNING {_CLAIM_RETURNING}"
    )
    rows = list(OutboxMessage.objects.using(using).raw(sql, [timezone.now(), aggregate_id]))
    return sorted(rows, key=lambda row: row.pk)


def _unclaim(
    rows: list[OutboxMessage], delivered: list[OutboxMessage], failed: dict[int, str], using: str
) -> None:
    """Undo :func:`_claim_aggregate` for the rows that did not go out: a failed row
    keeps its attempt and records the error; a row that waited behind it was not
    attempted."""
    sent = {row.pk for row in delivered}
    waiting = [row.pk for row in rows if row.pk not in sent and row.pk not in failed]
    manager = OutboxMessage.objects.using(using)
    if waiting:
        manager.filter(pk__in=waiting).update(dispatched_at=None, attempts=F("attempts") - 1)
    for pk, error in failed.items():
        manager.filter(pk=pk).update(dispatched_at=None, last_error=error)


def drain_aggregate(
    aggregate_id: str, *, using: str = "default", lock_wait_ms: int | None = None
) -> int | None:
    """Deliver every pending event of one aggregate, oldest first. Returns how many,
    or ``None`` if another sender holds the aggregate's rows.

    ``lock_wait_ms``: ``None`` waits for the lock as long as it takes (the sweep);
    ``0`` does not wait (``NOWAIT``); otherwise waits at most that long (PostgreSQL's
    ``lock_timeout``). Raises :class:`DeliveryFailedError` if the transport refused
    an event.
    """
    connection = connections[using]
    try:
        with transaction.atomic(using=using):
            if connection.vendor == "postgresql":
                rows = _claim_aggregate(aggregate_id, using, lock_wait_ms)
                delivered, failed = _deliver(rows)
                if len(delivered) != len(rows):
                    _unclaim(rows, delivered, failed, using)
            else:
                rows = list(
                    OutboxMessage.objects.using(using)
                    .select_for_update(nowait=lock_wait_ms == 0)
                    .filter(aggregate_id=aggregate_id, dispatched_at__isnull=True)
                    .order_by("id")
                )
                delivered, failed = _deliver(rows)
                _record(delivered, failed, using)
    except OperationalError as exc:
        if lock_wait_ms is not None and _is_lock_not_available(exc):
            return None
        raise
    if failed:
        error = next(iter(failed.values()))
        log.warning("outbox_delivery_failed", aggregate_id=aggregate_id, error=error)
        raise DeliveryFailedError(error)
    return len(delivered)


def _is_lock_not_available(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "55P03" or "lock" in str(exc).lower()


def drain_aggregate_quietly(aggregate_id: str, *, using: str = "default") -> None:
    """The after-commit fast path: never raises into the request that already
    committed its state change.

    It first tries without waiting for a lock. If another sender holds the
    aggregate (another request's fast path, or the relay), it waits for it a
    little (``EVENT_RELAY_INLINE_LOCK_WAIT_MS``): once that sender commits, this
    event - committed before we asked for the lock - is still pending and goes
    out now. A longer hold (the relay on a slow broker) is left to the relay,
    which ``NOTIFY`` (or its poll, or the beat sweep) brings back to it.
    """
    if _inline_pause.active():
        return  # the transport failed recently: the relay will deliver
    try:
        if drain_aggregate(aggregate_id, using=using, lock_wait_ms=0) is None:
            drain_aggregate(
                aggregate_id, using=using, lock_wait_ms=settings.EVENT_RELAY_INLINE_LOCK_WAIT_MS
            )
    except DeliveryFailedError:
        _inline_pause.pause()
    except Exception:  # e.g. the database went away after commit
        log.exception("outbox_fast_path_failed", aggregate_id=aggregate_id)


def sweep_grace_seconds() -> float:
    """How old a pending row must be before the sweep takes it. With the fast path
    on, the committing process delivers its own events: the sweep leaves them a
    head start (``EVENT_RELAY_INLINE_GRACE_SECONDS``) instead of racing it for
    every row, and collects only what the fast path could not deliver."""
    return settings.EVENT_RELAY_INLINE_GRACE_SECONDS if settings.EVENT_RELAY_INLINE else 0.0


def _pending_rows(using: str, min_age: float) -> QuerySet[OutboxMessage]:
    rows = OutboxMessage.objects.using(using).filter(dispatched_at__isnull=True)
    if min_age > 0:
        rows = rows.filter(created_at__lte=timezone.now() - timedelta(seconds=min_age))
    return rows


def has_pending(*, using: str = "default") -> bool:
    return OutboxMessage.objects.using(using).filter(dispatched_at__isnull=True).exists()


def _claim_batch(size: int, using: str, min_age: float) -> list[OutboxMessage]:
    """Lock the oldest ``size`` pending rows (at least ``min_age`` seconds old) and
    mark them sent, in one statement, like :func:`_claim_aggregate` (PostgreSQL).
    The sweep waits for rows another sender holds; a row that sender delivered
    meanwhile no longer matches and is left out."""
    connection = connections[using]
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    now = timezone.now()
    age_sql, params = "", [now]
    if min_age > 0:
        age_sql = " AND created_at <= %s"
        params.append(now - timedelta(seconds=min_age))
    sql = (
        f"UPDATE {table} SET dispatched_at = %s, attempts = attempts + 1 "  # noqa: S608 - quoted table name; values are parameters
        f"WHERE id IN (SELECT id FROM {table} WHERE dispatched_at IS NULL{age_sql} "
        f"ORDER BY id LIMIT {int(size)} FOR UPDATE) RETURNING {_CLAIM_RETURNING}"
    )
    rows = list(OutboxMessage.objects.using(using).raw(sql, params))
    return sorted(rows, key=lambda row: row.pk)


def relay_batch(
    *, batch_size: int | None = None, using: str = "default", min_age: float = 0.0
) -> tuple[int, int]:
    """Lock and deliver up to ``batch_size`` pending rows at least ``min_age``
    seconds old. Returns (delivered, failed).

    On PostgreSQL the rows are claimed (locked and marked sent) in one ``UPDATE``
    and the ones the transport did not take are put back before the commit; three
    round trips per batch (``BEGIN``, the ``UPDATE``, ``COMMIT``).
    """
    size = batch_size or settings.EVENT_RELAY_BATCH_SIZE
    with transaction.atomic(using=using):
        if connections[using].vendor == "postgresql":
            rows = _claim_batch(size, using, min_age)
            if not rows:
                return 0, 0
            delivered, failed = _deliver(rows)
            if len(delivered) != len(rows):
                _unclaim(rows, delivered, failed, using)
        else:
            rows = list(_pending_rows(using, min_age).select_for_update().order_by("id")[:size])
            if not rows:
                return 0, 0
            delivered, failed = _deliver(rows)
            _record(delivered, failed, using)
    if failed:
        log.warning("outbox_relay_failures", failed=len(failed), error=next(iter(failed.values())))
    else:
        _inline_pause.clear()
    return len(delivered), len(failed)


def relay_pending(
    *, batch_size: int | None = None, using: str = "default", min_age: float = 0.0
) -> tuple[int, int]:
    """Sweep: deliver batches until a batch makes no progress (nothing pending, or
    only undeliverable rows) or, with no failure, comes back short: a short batch
    took everything pending when it started, and what was committed since has
    sent its own ``NOTIFY`` (or waits for the poll), so the extra ``SELECT`` that
    would find nothing is skipped. Returns (delivered, failed) over all batches;
    the caller backs off when ``failed`` and nothing was delivered.
    """
    size = batch_size or settings.EVENT_RELAY_BATCH_SIZE
    delivered = failed = 0
    while True:
        done, broken = relay_batch(batch_size=size, using=using, min_age=min_age)
        delivered += done
        failed += broken
        if not done or (not broken and done < size):
            return delivered, failed


@receiver(setting_changed)
def _reset_pause(*, setting: str, **_: object) -> None:
    if setting.startswith("EVENT_") or setting.startswith("CELERY_"):
        _inline_pause.clear()
