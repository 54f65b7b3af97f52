"""``manage.py relay_outbox``: deliver committed events until stopped.

Woken by PostgreSQL ``NOTIFY`` (sent by ``publish`` in the committing transaction)
and, as a fallback, every ``--poll-seconds``; with the after-commit fast path on
(``EVENT_RELAY_INLINE``) it only sweeps what the fast path left behind, polling. While the transport is down it backs
off exponentially (up to ``EVENT_RELAY_MAX_BACKOFF_SECONDS``) and keeps trying: nothing committed is dropped.
SIGTERM/SIGINT finish the batch in flight, then exit.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections, connections

from bazaar_platform.events.relay import has_pending, relay_pending, sweep_grace_seconds
from bazaar_platform.events.runtime import StopFlag

log = structlog.get_logger("bazaar.events.relay")


class _Listener:
    """A dedicated autocommit connection LISTENing on the relay channel."""

    def __init__(self, using: str, channel: str) -> None:
        from psycopg import sql

        wrapper = connections[using]
        self.conn = wrapper.get_new_connection(wrapper.get_connection_params())
        self.conn.autocommit = True
        self.conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

    def wait(self, timeout: float, stop: StopFlag) -> bool:
        """Block until a notification arrives (True), ``timeout`` passes or ``stop``."""
        remaining = timeout
        while remaining > 0 and not stop():
            step = min(0.5, remaining)
            # (Never call notifies() inside this loop: the generator holds the
            # connection's lock until it is exhausted.)
            notified = any(True for _ in self.conn.notifies(timeout=step, stop_after=1))
            if notified:
                # Several commits may have notified: one sweep serves them all.
                for _ in self.conn.notifies(timeout=0.001):
                    pass
                return True
            remaining -= step
        return False

    def close(self) -> None:
        self.conn.close()


class Command(BaseCommand):
    help = "Deliver committed outbox events (LISTEN/NOTIFY on PostgreSQL, polling elsewhere)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Sweep once and exit.")
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--poll-seconds", type=float, default=None)
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        using: str = options["database"]
        batch_size: int | None = options["batch_size"]
        grace = sweep_grace_seconds()
        if options["once"]:
            delivered, failed = relay_pending(batch_size=batch_size, using=using, min_age=grace)
            self.stdout.write(f"delivered {delivered}, failed {failed}")
            return
        poll = options["poll_seconds"] or settings.EVENT_RELAY_POLL_SECONDS
        stop = StopFlag().install()
        listener: _Listener | None = None
        # With the fast path on, a NOTIFY announces a row the committing process is
        # sending itself and the sweep may not touch for ``grace`` seconds: waking
        # for each one (hundreds a second under load) would only burn a core on
        # empty sweeps. The relay then polls every min(poll, grace) seconds.
        if connections[using].vendor == "postgresql" and not grace:
            listener = _Listener(using, settings.EVENT_RELAY_NOTIFY_CHANNEL)
        self.stdout.write(
            f"relay_outbox: {settings.EVENT_DISPATCH} dispatch, "
            f"{'LISTEN/NOTIFY + ' if listener else ''}poll every {poll}s"
            + (f", leaving the fast path {grace}s" if grace else ""),
        )
        self.stdout.flush()
        backoff = 0.0
        try:
            while not stop():
                close_old_connections()
                try:
                    delivered, failed = relay_pending(
                        batch_size=batch_size, using=using, min_age=grace
                    )
                except DatabaseError as exc:
                    log.warning("relay_database_error", error=str(exc))
                    connections[using].close()
                    delivered, failed = 0, 1
                if failed and not delivered:
                    backoff = min(max(backoff * 2, 0.25), settings.EVENT_RELAY_MAX_BACKOFF_SECONDS)
                    log.info("relay_backing_off", seconds=backoff, failed=failed)
                    stop.wait(backoff)
                    continue
                backoff = 0.0
                if failed:
                    stop.wait(0.25)
                    continue
                # Nothing (old enough) pending: sleep until NOTIFY or the poll - or,
                # with rows left to the fast path, until their grace is over.
                log.debug("relay_idle")
                wait = min(poll, grace) if grace and has_pending(using=using) else poll
                if listener is not None:
                    listener.wait(wait, stop)
                else:
                    stop.wait(wait)
        finally:
            if listener is not None:
                listener.close()
            from bazaar_platform.events.dispatch import reset_dispatcher

            reset_dispatcher()
        self.stdout.write(f"relay_outbox: stopped ({stop.signal_name or 'done'})")
