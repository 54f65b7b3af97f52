"""A sliding-window rate limiter shared by every process (Redis), or by one (memory).

Each allowed request is a member of a Redis sorted set scored by its arrival time in
milliseconds. One Lua script, run atomically by Redis, drops the members older than
the window, counts the rest, admits the request if the count is under the limit and
reports when the oldest member leaves the window. The clock is Redis's own (``TIME``),
so processes on different machines agree on it.

Without ``REDIS_URL`` (the embedded profile: one process) the same algorithm runs in
process memory under a lock.

``hit(key, limit=..., window_seconds=...)`` returns a :class:`Decision` that carries
what the ``RateLimit-*`` response headers need.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from functools import cache
from typing import Any

import redis
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# KEYS[1]: the window's sorted set. ARGV: limit, window (ms), member id, cost.
# Returns {allowed (0/1), used after this call, ms until the oldest member leaves}.
_SLIDING_WINDOW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
local allowed = 0
if used + cost <= limit then
  for i = 1, cost do
    redis.call('ZADD', KEYS[1], now, ARGV[3] .. ':' .. i)
  end
  used = used + cost
  allowed = 1
  redis.call('PEXPIRE', KEYS[1], window)
end
local reset = window
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then
  reset = tonumber(oldest[2]) + window - now
end
return {allowed, used, reset}
"""


@dataclass(frozen=True)
class Decision:
    """The limiter's answer for one request."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the oldest counted request leaves the window
    window_seconds: int

    @property
    def retry_after(self) -> int:
        """Seconds to wait before the next request can be admitted (0 when allowed)."""
        return 0 if self.allowed else max(1, self.reset_seconds)

    def headers(self) -> dict[str, str]:
        """``RateLimit-*`` headers (IETF draft), plus ``Retry-After`` when refused."""
        out = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
            "RateLimit-Policy": f"{self.limit};w={self.window_seconds}",
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
        return out


class RedisSlidingWindow:
    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.script: Any = self.client.register_script(_SLIDING_WINDOW_LUA)
        self.prefix = prefix

    def hit(self, key: str, *, limit: int, window_ms: int, cost: int) -> tuple[bool, int, int]:
        allowed, used, reset_ms = self.script(
            keys=[f"{self.prefix}:{key}"], args=[limit, window_ms, uuid.uuid4().hex, cost]
        )
        return bool(allowed), int(used), int(reset_ms)

    def reset(self, key: str) -> None:
        self.client.delete(f"{self.prefix}:{key}")


class MemorySlidingWindow:
    """The same algorithm for a single process (embedded profile)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}

    def hit(self, key: str, *, limit: int, window_ms: int, cost: int) -> tuple[bool, int, int]:
        now = time.monotonic() * 1000
        with self._lock:
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - window_ms:
                window.popleft()
            allowed = len(window) + cost <= limit
            if allowed:
                window.extend([now] * cost)
            reset_ms = int(window[0] + window_ms - now) if window else window_ms
            return allowed, len(window), reset_ms

    def reset(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)


@cache
def _limiter() -> RedisSlidingWindow | MemorySlidingWindow:
    url = getattr(settings, "RATE_LIMIT_REDIS_URL", "") or settings.REDIS_URL
    if url:
        return RedisSlidingWindow(url, getattr(settings, "RATE_LIMIT_KEY_PREFIX", "bazaar:rl"))
    return MemorySlidingWindow()


@receiver(setting_changed)
def _reset_limiter(*, setting: str, **_: object) -> None:
    if setting in {"REDIS_URL", "RATE_LIMIT_REDIS_URL", "RATE_LIMIT_KEY_PREFIX"}:
        _limiter.cache_clear()


class RateLimitUnavailableError(Exception):
    """The shared limiter (Redis) did not answer."""


def hit(key: str, *, limit: int, window_seconds: int = 60, cost: int = 1) -> Decision:
    """Count one request (``cost`` units) against ``key``; refuse it past ``limit`` per window.

    A refused request is not counted. Raises :class:`RateLimitUnavailableError` when
    Redis cannot be reached; callers choose whether to fail open or closed.
    """
    if limit < 0 or window_seconds <= 0 or cost <= 0:
        raise ValueError("limit >= 0, window_seconds > 0 and cost > 0 are required")
    window_ms = window_seconds * 1000
    try:
        allowed, used, reset_ms = _limiter().hit(key, limit=limit, window_ms=window_ms, cost=cost)
    except redis.RedisError as exc:
        raise RateLimitUnavailableError(str(exc)) from exc
    return Decision(
        allowed=allowed,
        limit=limit,
        remaining=max(0, limit - used),
        reset_seconds=max(0, math.ceil(reset_ms / 1000)),
        window_seconds=window_seconds,
    )


def reset(key: str) -> None:
    """Forget ``key``'s window (tests, and staff lifting a block)."""
    _limiter().reset(key)
