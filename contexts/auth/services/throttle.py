"""Login brute-force throttle: failed attempts counted per account and per client IP.

Counters live in the Django cache (Redis in the services profile), so every process
shares them. Accounts are keyed by a hash of the normalised e-mail whether or not
the account exists, so the throttle itself reveals nothing. A locked key refuses
even the right password until its window ends.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

from bazaar_platform.api.errors import ApplicationError

_PREFIX = "auth:login-failures:"


class LoginThrottledError(ApplicationError):
    status_code = 429
    code = "throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many failed log-in attempts; try again later.")
        self.retry_after = retry_after


def _account_key(email: str) -> str:
    return _PREFIX + "acct:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _ip_key(ip: str) -> str:
    return _PREFIX + "ip:" + hashlib.sha256(ip.encode()).hexdigest()[:32]


def _count(key: str) -> int:
    value = cache.get(key)
    return int(value) if value is not None else 0


def login_throttle_check(*, email: str, ip: str) -> None:
    """Raise :class:`LoginThrottledError` if the account or the IP is locked."""
    window = int(settings.AUTH_LOGIN_FAILURE_WINDOW_SECONDS)
    if _count(_account_key(email)) >= settings.AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT:
        raise LoginThrottledError(retry_after=window)
    if ip and _count(_ip_key(ip)) >= settings.AUTH_LOGIN_MAX_FAILURES_PER_IP:
        raise LoginThrottledError(retry_after=window)


def _increment(key: str, window: int) -> None:
    # add() starts the window only for the first failure; incr() is atomic in Redis.
    if not cache.add(key, 1, timeout=window):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window)


def login_failure_record(*, email: str, ip: str) -> None:
    window = int(settings.AUTH_LOGIN_FAILURE_WINDOW_SECONDS)
    _increment(_account_key(email), window)
    if ip:
        _increment(_ip_key(ip), window)


def login_success_record(*, email: str) -> None:
    cache.delete(_account_key(email))
