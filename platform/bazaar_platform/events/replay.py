"""Replay: re-dispatch stored events to rebuild a read model or recover a consumer.

* :func:`replay_from_outbox` works for every transport: the outbox is the event
  log. It forgets the chosen handlers' inbox rows for the chosen events (so the
  inbox does not skip them as duplicates) and applies the events to those
  handlers, in outbox (commit) order, in this process.
* :func:`replay_from_kafka` rewinds a context's consumer group instead (to the
  beginning, or to the first message at or after ``since``), and forgets the
  inbox rows of the events in that window; the context's consumers re-read the
  topic when they start again.
* :func:`replay_dead_letter` re-applies one dead letter (the admin action).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from bazaar_platform.events.consumer import Outcome, apply_or_dead_letter, parse_raw
from bazaar_platform.events.models import DeadLetter, InboxRecord, OutboxMessage
from bazaar_platform.events.registry import (
    EventDecodeError,
    Subscription,
    decode,
    subscription,
    subscriptions_for,
    subscriptions_of_context,
)


@dataclass(frozen=True)
class ReplayFilter:
    event_types: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    event_ids: Sequence[UUID] = ()


@dataclass
class ReplayReport:
    events: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: Outcome) -> None:
        self.outcomes[outcome.value] = self.outcomes.get(outcome.value, 0) + 1


def target_subscriptions(*, handler: str | None, context: str | None) -> list[Subscription]:
    if bool(handler) == bool(context):
        raise ValueError("choose exactly one of handler or context")
    if handler:
        return [subscription(handler)]
    subs = subscriptions_of_context(str(context))
    if not subs:
        raise ValueError(f"context {context!r} subscribes to no events")
    return subs


def stored_events(subs: Sequence[Subscription], flt: ReplayFilter) -> QuerySet[OutboxMessage]:
    types = {s.event_type for s in subs}
    if flt.event_types:
        types &= set(flt.event_types)
    rows = OutboxMessage.objects.filter(event_type__in=sorted(types))
    if flt.since is not None:
        rows = rows.filter(occurred_at__gte=flt.since)
    if flt.until is not None:
        rows = rows.filter(occurred_at__lt=flt.until)
    if flt.event_ids:
        rows = rows.filter(event_id__in=list(flt.event_ids))
    return rows.order_by("id")


def _chunks(rows: QuerySet[OutboxMessage], size: int) -> Iterator[list[OutboxMessage]]:
    chunk: list[OutboxMessage] = []
    for row in rows.iterator(chunk_size=size):
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def forget_inbox(subs: Sequence[Subscription], event_ids: Sequence[UUID]) -> int:
    """Delete the inbox rows of ``subs``' handlers for ``event_ids``; returns how many."""
    deleted, _ = InboxRecord.objects.filter(
        handler__in=[s.handler_name for s in subs], event_id__in=list(event_ids)
    ).delete()
    return deleted


def replay_from_outbox(
    subs: Sequence[Subscription],
    flt: ReplayFilter,
    *,
    progress: Callable[[int], None] = lambda _n: None,
    chunk_size: int = 500,
) -> ReplayReport:
    """Re-apply stored events to ``subs``' handlers, oldest first."""
    report = ReplayReport()
    by_type: dict[str, list[Subscription]] = {}
    for sub in subs:
        by_type.setdefault(sub.event_type, []).append(sub)
    for chunk in _chunks(stored_events(subs, flt), chunk_size):
        for event_type in {row.event_type for row in chunk}:
            ids = [row.event_id for row in chunk if row.event_type == event_type]
            forget_inbox(by_type[event_type], ids)
        for row in chunk:
            for sub in by_type[row.event_type]:
                outcome = apply_or_dead_letter(
                    sub.handler_name, row.message, transport="replay", headers=row.headers
                )
                report.count(outcome)
            report.events += 1
        progress(len(chunk))
    return report


def replay_from_kafka(
    *,
    context: str,
    subs: Sequence[Subscription],
    flt: ReplayFilter,
    bootstrap: str | None = None,
) -> tuple[int, list[tuple[str, int, int]]]:
    """Rewind ``context``'s consumer group; returns (inbox rows forgotten, new offsets).

    The handlers re-apply the events when ``consume_events --context`` runs again.
    """
    from bazaar_platform.events.brokers.kafka import reset_group_offsets

    if flt.until is not None or flt.event_ids:
        raise ValueError(
            "a Kafka replay rewinds a consumer group: --until/--event-id need --source outbox"
        )
    forgotten = 0
    for chunk in _chunks(stored_events(subs, flt), 1000):
        forgotten += forget_inbox(subs, [row.event_id for row in chunk])
    offsets = reset_group_offsets(
        bootstrap or settings.EVENT_BROKER_URL,
        context=context,
        # The group reads every topic the context consumes, whichever handler is replayed.
        event_types=sorted({s.event_type for s in subscriptions_of_context(context)}),
        since=flt.since,
    )
    return forgotten, [(tp.topic, tp.partition, tp.offset) for tp in offsets]


@dataclass(frozen=True)
class DeadLetterReplay:
    ok: bool
    detail: str


def replay_dead_letter(letter: DeadLetter) -> DeadLetterReplay:
    """Re-apply a dead letter to its handler (or, for a message no handler was chosen
    for, to its context's or every subscriber of its type). Marks it replayed when
    every handler applied it (or had already); otherwise records the new error."""
    if letter.status == DeadLetter.Status.REPLAYED:
        return DeadLetterReplay(True, "already replayed")
    try:
        message = parse_raw(letter.raw)
        event = decode(message)
        if letter.handler:
            subs = [subscription(letter.handler)]
        elif letter.context:
            subs = [
                s
                for s in subscriptions_of_context(letter.context)
                if s.event_type == event.event_type
            ]
        else:
            subs = subscriptions_for(event.event_type)
    except EventDecodeError as exc:
        return _still_failing(letter, f"{exc.reason}: {exc.detail}")
    errors: list[str] = []
    for sub in subs:
        try:
            apply_or_dead_letter(
                sub.handler_name,
                message,
                transport="admin-replay",
                final_attempt=False,
                event=event,
            )
        except Exception as exc:  # reported on the dead letter
            errors.append(f"{sub.handler_name}: {type(exc).__name__}: {exc}")
    if errors:
        return _still_failing(letter, "; ".join(errors))
    letter.status = DeadLetter.Status.REPLAYED
    letter.replayed_at = timezone.now()
    letter.save(update_fields=["status", "replayed_at"])
    return DeadLetterReplay(True, f"applied to {len(subs)} handler(s)")


def _still_failing(letter: DeadLetter, error: str) -> DeadLetterReplay:
    letter.attempts += 1
    letter.error = error[:10_000]
    letter.save(update_fields=["attempts", "error"])
    return DeadLetterReplay(False, error)
