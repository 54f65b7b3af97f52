"""The deny list: access tokens revoked before they expire, refused by every process.

Access tokens are verified offline, so revoking one means telling every verifier its
``jti``. The auth context publishes ``auth.token_revoked``; its handler calls
:func:`deny_token`, which

1. adds the ``jti`` to this process's memory,
2. adds it to a Redis sorted set (member ``jti``, score = the moment the token stops
   verifying anyway: ``exp`` + leeway), and
3. announces it on a Redis pub/sub channel,

all three in one Redis ``MULTI``. Every process runs one listener thread on that
channel (started on first use) that copies each announced ``jti`` into its memory, so
one event delivery reaches every verifier. Whenever the listener (re)subscribes it
reloads the whole set from Redis first-subscribe-then-read, so an entry announced
while it was disconnected is not lost. While it is not subscribed, a check asks Redis
directly (one ``ZSCORE``); if Redis is down too, the check answers from memory and logs
a warning: a revoked token then lives at most until its ``exp`` (minutes).

The hot path (listener up) is one dict lookup. Entries leave memory and Redis once
their token could not verify anyway. Without ``REDIS_URL`` (the embedded profile: one
process) the list is process memory only.

Nothing here imports a context: the auth context feeds it through its event handler.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import redis
import structlog

from bazaar_platform.tokens.conf import token_settings
from bazaar_platform.tokens.listener import PubSubListener

log = structlog.get_logger("bazaar.tokens.revocation")

MAX_JTI_LENGTH = 128
PRUNE_EVERY_SECONDS = 60.0


class DenyList:
    def __init__(self) -> None:
        self._memory: dict[str, float] = {}  # jti -> epoch seconds after which it is moot
        self._lock = threading.Lock()
        self._listener = PubSubListener(
            name="bazaar-token-denylist", on_message=self._on_message, on_subscribed=self._resync
        )
        self._redis: redis.Redis | None = None
        self._next_prune = 0.0
        self.redis_checks = 0  # checks answered by Redis because the listener was down (tests)

    # --- writes -----------------------------------------------------------------
    def deny(self, jti: str, expires_at: float) -> bool:
        """Refuse ``jti`` everywhere until ``expires_at`` (+ leeway). False if already moot.

        Raises if Redis refuses: the caller (an event handler) is retried by the event
        platform, so a revocation is never silently lost.
        """
        if not jti or len(jti) > MAX_JTI_LENGTH or " " in jti:
            raise ValueError("a jti is a short string without spaces")
        conf = token_settings()
        until = float(expires_at) + conf.leeway_seconds
        now = time.time()
        if until <= now:
            return False
        self._remember(jti, until)
        if conf.redis_url:
            pipe = self._client().pipeline(transaction=True)
            pipe.zadd(conf.denylist_key, {jti: until})
            pipe.zremrangebyscore(conf.denylist_key, "-inf", now)
            pipe.publish(conf.denylist_channel, f"{jti} {until}")
            pipe.execute()
        return True

    def _remember(self, jti: str, until: float) -> None:
        now = time.time()
        with self._lock:
            if until > self._memory.get(jti, 0.0):
                self._memory[jti] = until
            if now >= self._next_prune:
                self._memory = {k: v for k, v in self._memory.items() if v > now}
                self._next_prune = now + PRUNE_EVERY_SECONDS

    # --- reads ------------------------------------------------------------------
    def is_denied(self, jti: str) -> bool:
        conf = token_settings()
        if conf.redis_url and not self._listener.listening:
            self._ensure_listener()
            if not self._listener.listening:
                return self._ask_redis(jti)
        until = self._memory.get(jti)
        return until is not None and until > time.time()

    def _ask_redis(self, jti: str) -> bool:
        conf = token_settings()
        self.redis_checks += 1
        try:
            score = self._client().zscore(conf.denylist_key, jti)
        except Exception:
            log.warning("denylist_redis_unavailable_answering_from_memory", exc_info=True)
            until = self._memory.get(jti)
            return until is not None and until > time.time()
        return score is not None and float(score) > time.time()

    def in_memory(self, jti: str) -> bool:
        return jti in self._memory

    @property
    def listening(self) -> bool:
        return self._listener.listening

    # --- the listener -------------------------------------------------------------
    def _client(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(token_settings().redis_url, socket_timeout=5)
        return self._redis

    def _ensure_listener(self) -> None:
        conf = token_settings()
        if conf.redis_url:
            self._listener.ensure_started(url=conf.redis_url, channel=conf.denylist_channel)

    def _resync(self, client: redis.Redis) -> None:
        # Runs once subscribed (first subscribe, then read): nothing announced from now
        # on is missed, and everything announced before is in the set.
        now = time.time()
        key = token_settings().denylist_key
        entries: list[Any] = list(client.zrangebyscore(key, now, "+inf", withscores=True))
        for entry in entries:
            member, score = entry[0], entry[1]
            jti = member.decode() if isinstance(member, bytes) else str(member)
            self._remember(jti, float(score))

    def _on_message(self, data: bytes | str) -> None:
        text = data.decode() if isinstance(data, bytes) else str(data)
        jti, _, until = text.partition(" ")
        try:
            self._remember(jti, float(until))
        except ValueError:
            log.warning("denylist_message_unreadable", data=text[:80])

    def stop(self) -> None:
        self._listener.stop()

    def clear(self) -> None:
        with self._lock:
            self._memory = {}

    def reset_after_fork(self) -> None:
        """A forked child inherits memory but not the listener thread: start clean."""
        self._memory = {}
        self._lock = threading.Lock()
        self._listener.reset_after_fork()
        self._redis = None
        self._next_prune = 0.0


_deny_list = DenyList()
os.register_at_fork(after_in_child=_deny_list.reset_after_fork)


def deny_list() -> DenyList:
    return _deny_list


def deny_token(jti: str, *, expires_at: float) -> bool:
    """Refuse the access token ``jti`` in every process until it expires."""
    return _deny_list.deny(jti, expires_at)


def is_denied(jti: str) -> bool:
    """Whether ``jti`` was revoked (checked by :func:`validate_token` on every token)."""
    return _deny_list.is_denied(jti)


def reset_process_state() -> None:
    """Stop the listener and forget this process's copy (tests; settings changes)."""
    _deny_list.stop()
    _deny_list.clear()
