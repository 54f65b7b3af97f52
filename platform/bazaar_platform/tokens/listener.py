"""One background thread per process subscribed to a Redis pub/sub channel.

Both in-memory caches of the token layer (the account-status cache and the deny list)
learn of changes the same way: a daemon thread holds a subscription, tells its owner
when the subscription is (re)established — the moment to resynchronise, since
anything announced while disconnected was missed — hands over each message, and
reconnects with capped exponential backoff. Written here rather than taken from
redis-py because redis-py's ``PubSub.run_in_thread`` neither reports (re)subscription
nor reconnects after the connection drops.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import redis
import structlog

log = structlog.get_logger("bazaar.tokens.listener")

MAX_BACKOFF_SECONDS = 5.0


class PubSubListener:
    """Subscribes to ``channel`` in a daemon thread while started.

    ``on_subscribed(client)`` runs each time the subscription is confirmed (first
    subscribe, then read: nothing announced afterwards is missed); ``on_message(data)``
    for each message; ``on_disconnected()`` whenever the subscription is lost. While
    :attr:`listening` is false the owner must not trust its memory alone.
    """

    def __init__(
        self,
        *,
        name: str,
        on_message: Callable[[bytes | str], None],
        on_subscribed: Callable[[redis.Redis], None],
        on_disconnected: Callable[[], None] = lambda: None,
    ) -> None:
        self._name = name
        self._on_message = on_message
        self._on_subscribed = on_subscribed
        self._on_disconnected = on_disconnected
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    def ensure_started(self, *, url: str, channel: str, wait: float = 2.0) -> None:
        """Start the thread unless it runs; wait up to ``wait`` s for the subscription."""
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, args=(url, channel), name=self._name, daemon=True
            )
            self._thread.start()
        self._listening.wait(timeout=wait)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
        self._thread = None
        self._listening.clear()

    def reset_after_fork(self) -> None:
        """A forked child inherits the object but not the thread: start clean."""
        self._reset()

    def _run(self, url: str, channel: str) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            pubsub = None
            try:
                client = redis.Redis.from_url(url, socket_timeout=None, health_check_interval=30)
                pubsub = client.pubsub(ignore_subscribe_messages=False)
                pubsub.subscribe(channel)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        self._on_subscribed(client)
                        self._listening.set()
                        backoff = 0.1
                    elif message["type"] == "message":
                        self._on_message(message["data"])
            except Exception:
                log.warning("pubsub_listener_disconnected", listener=self._name, exc_info=True)
            finally:
                self._listening.clear()
                self._on_disconnected()
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        pubsub.close()
            self._stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
