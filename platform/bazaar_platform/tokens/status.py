"""Per-request account facts a token cannot carry ("is this customer still active?").

Two cache levels in front of a loader named by settings (``STATUS_LOADER``, in the
monolith the auth facade; the platform never imports it):

1. process memory: a dict, fresh for ``STATUS_MEMORY_TTL`` seconds (a hit is ~1 µs);
2. the shared cache (Redis), for ``STATUS_SHARED_TTL`` seconds;
3. the loader.

Invalidation (:func:`invalidate_status`, called by the auth context's handlers for
``auth.user_updated`` / ``auth.user_deactivated`` / role events) deletes the entry
in this process, writes a short-lived *tombstone* over the shared entry and
publishes the user id on a Redis pub/sub channel. Every process runs one listener
thread on that channel that drops the id from its memory. So one event delivery
reaches every cache:

* a process keeps answers in memory only while its listener is subscribed
  (``PubSubListener.listening``); whenever the subscription is (re)established, memory is
  emptied, because messages sent while disconnected are lost;
* the tombstone stops a load that started before the change from writing a stale
  answer back into Redis afterwards (writes use ``add``, which a tombstone blocks);
* a per-user generation number stops the same race in memory.

When the loader fails, a stale memory answer (not invalidated) is used for up to
``STATUS_STALE_IF_ERROR`` seconds, then :class:`StatusUnavailableError` (503).

Without ``REDIS_URL`` (the embedded profile: one process) there is no channel;
invalidation is local and memory caching is always on.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import redis
import structlog
from django.core.cache import caches
from django.utils.module_loading import import_string

from bazaar_platform.tokens.conf import token_settings
from bazaar_platform.tokens.listener import PubSubListener
from bazaar_platform.tokens.principal import ROLE_CUSTOMER, ROLE_VENDOR

log = structlog.get_logger("bazaar.tokens.status")

SHARED_PREFIX = "bazaar:tokens:status:"
TOMBSTONE = "__invalidated__"
CLEAR_ALL = "*"
ACTIVE = "active"


class StatusUnavailableError(Exception):
    """Neither cache nor loader could answer."""


@dataclass(frozen=True)
class AccountStatus:
    user_id: UUID
    exists: bool
    is_active: bool = False
    customer_status: str = ""
    vendor_status: str = ""
    roles: frozenset[str] = frozenset()

    @property
    def customer_active(self) -> bool:
        return (
            self.exists
            and self.is_active
            and ROLE_CUSTOMER in self.roles
            and self.customer_status == ACTIVE
        )

    @property
    def vendor_active(self) -> bool:
        return (
            self.exists
            and self.is_active
            and ROLE_VENDOR in self.roles
            and self.vendor_status == ACTIVE
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "exists": self.exists,
            "is_active": self.is_active,
            "customer_status": self.customer_status,
            "vendor_status": self.vendor_status,
            "roles": sorted(self.roles),
        }

    @classmethod
    def from_cache(cls, user_id: UUID, data: Mapping[str, Any]) -> AccountStatus:
        return cls(
            user_id=user_id,
            exists=bool(data["exists"]),
            is_active=bool(data["is_active"]),
            customer_status=str(data["customer_status"]),
            vendor_status=str(data["vendor_status"]),
            roles=frozenset(data["roles"]),
        )

    @classmethod
    def from_loader(cls, user_id: UUID, loaded: Any) -> AccountStatus:
        """Accept ``None`` (no such user), a mapping, or any object with the attributes."""
        if loaded is None:
            return cls(user_id=user_id, exists=False)
        get: Callable[[str, Any], Any] = (
            loaded.get
            if isinstance(loaded, Mapping)
            else lambda name, default: getattr(loaded, name, default)
        )
        return cls(
            user_id=user_id,
            exists=True,
            is_active=bool(get("is_active", False)),
            customer_status=str(get("customer_status", "")),
            vendor_status=str(get("vendor_status", "")),
            roles=frozenset(str(r) for r in get("roles", ()) or ()),
        )


class StatusCache:
    def __init__(self) -> None:
        self._memory: dict[UUID, tuple[float, float, AccountStatus]] = {}  # fresh_until, stored_at
        self._generation: dict[UUID, int] = {}
        self._lock = threading.Lock()
        self._listener = self._new_listener()
        self._redis: redis.Redis | None = None
        self.loads = 0  # how many times the loader ran (tests, the benchmark)

    def _new_listener(self) -> PubSubListener:
        return PubSubListener(
            name="bazaar-status-invalidations",
            on_message=self._on_message,
            on_subscribed=self._on_subscribed,
            on_disconnected=lambda: self.forget_locally(None),
        )

    # --- reads ----------------------------------------------------------------
    def get(self, user_id: UUID) -> AccountStatus:
        entry = self._memory.get(user_id)
        if entry is not None and entry[0] > time.monotonic():
            return entry[2]
        return self._get_slow(user_id, entry)

    def _get_slow(
        self, user_id: UUID, stale: tuple[float, float, AccountStatus] | None
    ) -> AccountStatus:
        conf = token_settings()
        self._ensure_listener()
        generation = self._generation.get(user_id, 0)
        shared = caches[conf.cache_alias]
        key = SHARED_PREFIX + str(user_id)
        cached: Any = None
        try:
            cached = shared.get(key)
        except Exception:
            log.warning("status_shared_cache_unavailable", exc_info=True)
        if isinstance(cached, Mapping):
            status = AccountStatus.from_cache(user_id, cached)
            self._remember(user_id, status, generation)
            return status
        try:
            status = self._load(user_id)
        except Exception as exc:
            if stale is not None and time.monotonic() - stale[1] <= conf.status_stale_if_error:
                log.warning(
                    "status_loader_failed_serving_stale", user_id=str(user_id), error=str(exc)
                )
                return stale[2]
            raise StatusUnavailableError(f"account status of {user_id} unavailable: {exc}") from exc
        if cached != TOMBSTONE:
            try:
                shared.add(key, status.to_cache(), timeout=conf.status_shared_ttl)
            except Exception:
                log.warning("status_shared_cache_unavailable", exc_info=True)
        self._remember(user_id, status, generation)
        return status

    def _load(self, user_id: UUID) -> AccountStatus:
        conf = token_settings()
        if not conf.status_loader:
            raise StatusUnavailableError("BAZAAR_TOKENS['STATUS_LOADER'] is not configured")
        loader: Callable[..., Any] = import_string(conf.status_loader)
        self.loads += 1
        return AccountStatus.from_loader(user_id, loader(user_id=user_id))

    def _remember(self, user_id: UUID, status: AccountStatus, generation: int) -> None:
        conf = token_settings()
        if conf.redis_url and not self._listener.listening:
            return  # we could miss an invalidation: do not keep answers in memory
        with self._lock:
            if self._generation.get(user_id, 0) != generation:
                return  # invalidated while we were loading
            now = time.monotonic()
            self._memory[user_id] = (now + conf.status_memory_ttl, now, status)

    def in_memory(self, user_id: UUID) -> bool:
        return user_id in self._memory

    # --- invalidation -----------------------------------------------------------
    def forget_locally(self, user_id: UUID | None) -> None:
        with self._lock:
            if user_id is None:
                self._memory.clear()
                for uid in list(self._generation):
                    self._generation[uid] += 1
            else:
                self._memory.pop(user_id, None)
                self._generation[user_id] = self._generation.get(user_id, 0) + 1

    def invalidate(self, user_id: UUID) -> None:
        """Drop ``user_id`` from every level in every process (raises if Redis refuses)."""
        conf = token_settings()
        self.forget_locally(user_id)
        caches[conf.cache_alias].set(
            SHARED_PREFIX + str(user_id), TOMBSTONE, timeout=conf.status_tombstone_seconds
        )
        if conf.redis_url:
            self._client().publish(conf.status_channel, str(user_id))

    # --- the listener -----------------------------------------------------------
    def _client(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(token_settings().redis_url, socket_timeout=5)
        return self._redis

    def _ensure_listener(self) -> None:
        conf = token_settings()
        if conf.redis_url:
            self._listener.ensure_started(url=conf.redis_url, channel=conf.status_channel)

    def _on_subscribed(self, client: redis.Redis) -> None:
        self.forget_locally(None)  # whatever we missed before is gone

    def _on_message(self, data: bytes | str) -> None:
        text = data.decode() if isinstance(data, bytes) else str(data)
        if text == CLEAR_ALL:
            self.forget_locally(None)
            return
        try:
            self.forget_locally(UUID(text))
        except ValueError:
            log.warning("status_invalidation_unreadable", data=text[:80])

    def stop(self) -> None:
        self._listener.stop()
        self.forget_locally(None)

    def reset_after_fork(self) -> None:
        """A forked child inherits memory but not the listener thread: start clean."""
        self._memory = {}
        self._generation = {}
        self._lock = threading.Lock()
        self._listener.reset_after_fork()
        self._redis = None


_status_cache = StatusCache()
os.register_at_fork(after_in_child=_status_cache.reset_after_fork)


def status_cache() -> StatusCache:
    return _status_cache


def account_status(user_id: UUID) -> AccountStatus:
    """The (cached) status of ``user_id``; raises :class:`StatusUnavailableError`."""
    return _status_cache.get(user_id)


def invalidate_status(user_id: UUID) -> None:
    _status_cache.invalidate(user_id)


def reset_process_state() -> None:
    _status_cache.stop()
