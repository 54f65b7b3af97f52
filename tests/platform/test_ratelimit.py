"""The sliding-window rate limiter: exact under concurrency from several processes
(one atomic Lua script in Redis), sliding, and the same algorithm in memory."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from typing import Any

import pytest

from bazaar_platform import ratelimit

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _prefix(settings: Any) -> None:
    settings.RATE_LIMIT_KEY_PREFIX = f"test-rl-{uuid.uuid4().hex[:8]}"


def _hammer(key: str, hits: int, prefix: str, queue: Any) -> None:
    from django.conf import settings

    settings.RATE_LIMIT_KEY_PREFIX = prefix
    ratelimit._limiter.cache_clear()  # no Redis connection shared across fork
    allowed = sum(ratelimit.hit(key, limit=30, window_seconds=60).allowed for _ in range(hits))
    queue.put(allowed)


def test_processes_sharing_a_key_are_admitted_exactly_up_to_the_limit(settings):
    assert settings.REDIS_URL, "this test needs Redis"
    key = f"k-{uuid.uuid4().hex}"
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [
        ctx.Process(target=_hammer, args=(key, 25, settings.RATE_LIMIT_KEY_PREFIX, queue))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    assert sum(queue.get(timeout=5) for _ in workers) == 30
    refused = ratelimit.hit(key, limit=30, window_seconds=60)
    assert (refused.allowed, refused.remaining) == (False, 0)
    assert 1 <= refused.retry_after <= 60


def test_the_window_slides(settings):
    key = f"k-{uuid.uuid4().hex}"
    first = ratelimit.hit(key, limit=2, window_seconds=1)
    assert (first.allowed, first.remaining, first.limit) == (True, 1, 2)
    assert ratelimit.hit(key, limit=2, window_seconds=1).allowed
    assert not ratelimit.hit(key, limit=2, window_seconds=1).allowed
    deadline = time.monotonic() + 3
    while not ratelimit.hit(key, limit=2, window_seconds=1).allowed:
        assert time.monotonic() < deadline, "the oldest request never left the window"
        time.sleep(0.05)


def test_cost_and_reset(settings):
    key = f"k-{uuid.uuid4().hex}"
    assert ratelimit.hit(key, limit=5, window_seconds=60, cost=4).remaining == 1
    refused = ratelimit.hit(key, limit=5, window_seconds=60, cost=2)
    assert (refused.allowed, refused.remaining) == (False, 1)
    ratelimit.reset(key)
    assert ratelimit.hit(key, limit=5, window_seconds=60, cost=5).allowed
    with pytest.raises(ValueError, match="limit"):
        ratelimit.hit(key, limit=5, window_seconds=0)


def test_memory_limiter_without_redis(settings):
    settings.REDIS_URL = ""
    settings.RATE_LIMIT_REDIS_URL = ""
    try:
        assert isinstance(ratelimit._limiter(), ratelimit.MemorySlidingWindow)
        key = "memory-key"
        assert [ratelimit.hit(key, limit=2).allowed for _ in range(3)] == [True, True, False]
    finally:
        ratelimit._limiter.cache_clear()


def test_unreachable_redis_raises_a_specific_error(settings):
    settings.RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:1/0"
    with pytest.raises(ratelimit.RateLimitUnavailableError):
        ratelimit.hit("k", limit=1)


def test_decision_headers():
    refused = ratelimit.Decision(
        allowed=False, limit=10, remaining=0, reset_seconds=7, window_seconds=60
    )
    assert refused.headers() == {
        "RateLimit-Limit": "10",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "7",
        "RateLimit-Policy": "10;w=60",
        "Retry-After": "7",
    }
    allowed = ratelimit.Decision(
        allowed=True, limit=10, remaining=9, reset_seconds=60, window_seconds=60
    )
    assert "Retry-After" not in allowed.headers()
