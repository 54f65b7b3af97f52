"""Cost of the deny-list check every token verification now makes (listener up).

Run (services profile: Redis)::

    BAZAAR_PROFILE=services REDIS_URL=redis://127.0.0.1:6379/6 DJANGO_SECRET_KEY=bench \\
    DJANGO_SECURE_SSL_REDIRECT=false python bench/denylist_bench.py

Also prints the cost of one client-secret check (the token, revocation and introspection
endpoints pay it once per confidential-client request) with the client-secret hasher,
and with the password KDF it replaces.
"""

from __future__ import annotations

import os
import sys
import time
import timeit
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import check_password, make_password  # noqa: E402

from bazaar_platform.tokens.revocation import deny_list, deny_token, is_denied  # noqa: E402


def best_us(fn: object, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6  # type: ignore[arg-type]


def main() -> None:
    revoked = uuid.uuid4().hex
    deny_token(revoked, expires_at=time.time() + 300)
    is_denied("warm-up")  # starts the listener
    print(f"listener subscribed: {deny_list().listening}")
    print(f"is_denied, not revoked: {best_us(lambda: is_denied('not-revoked'), 200_000):.3f} µs")
    print(f"is_denied, revoked:     {best_us(lambda: is_denied(revoked), 200_000):.3f} µs")
    print(f"checks that had to ask Redis: {deny_list().redis_checks}")
    secret = uuid.uuid4().hex * 4
    for hasher in (settings.OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"], "default"):
        stored = make_password(secret, hasher=hasher)
        started = time.perf_counter()
        for _ in range(5):
            assert check_password(secret, stored)
        per = (time.perf_counter() - started) / 5 * 1e3
        print(f"client secret check ({stored.split('$', 1)[0]}): {per:.3f} ms")


if __name__ == "__main__":
    main()
