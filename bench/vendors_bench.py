"""Costs of vendor onboarding and of the per-plan API rate limit, in one run.

* ``ratelimit.hit``: one sliding-window decision (one EVALSHA in Redis);
* ``GET /api/v1/vendors/me`` through Django in-process (no network), with the plan
  throttle and with it switched off: the throttle's share of a request;
* ``POST /api/v1/vendors/register`` for a free plan and for a paid plan (sandbox
  gateway: account, role, vendor, store, subscription, charge, payment link).

Run (services profile: PostgreSQL + Redis)::

    BAZAAR_PROFILE=services DATABASE_URL=postgres://postgres@127.0.0.1:5432/bazaar_vendors \\
    REDIS_URL=redis://127.0.0.1:6379/8 DJANGO_SECRET_KEY=bench DJANGO_SECURE_SSL_REDIRECT=false \\
    python bench/vendors_bench.py

It creates a throwaway database (``test_<name>``), measures, and drops it.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bazaar_platform import ratelimit  # noqa: E402

PASSWORD = "Qz7!mango-Tulip-93"  # noqa: S105 - a throwaway bench account


def timed_ms(func: Callable[[], Any], *, number: int) -> tuple[float, float]:
    """(median, p95) of one call, in ms, after a short warm-up."""
    for _ in range(min(5, number)):
        func()
    samples = []
    for _ in range(number):
        started = time.perf_counter_ns()
        func()
        samples.append((time.perf_counter_ns() - started) / 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def body(plan: str) -> dict[str, Any]:
    tag = f"b{uuid.uuid4().hex[:12]}"
    return {
        "email": f"{tag}@example.test",
        "full_name": "Bench Vendor",
        "password": PASSWORD,
        "legal_name": f"{tag} Ltd",
        "plan": plan,
        "store": {"name": tag, "slug": tag, "currency": "EUR"},
    }


def register(api: APIClient, plan: str) -> Any:
    response = api.post(
        "/api/v1/vendors/register",
        body(plan),
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 201, response.content
    return response


def measure() -> list[tuple[str, float, float]]:
    from contexts.vendors.api import views

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.VENDORS_REGISTER_RATE_PER_MINUTE = 10**9
    api = APIClient()
    rows: list[tuple[str, float, float]] = []
    key = f"bench-{uuid.uuid4().hex}"
    rows.append(
        (
            "ratelimit.hit (Redis sliding window)",
            *timed_ms(lambda: ratelimit.hit(key, limit=10**9), number=5000),
        )
    )
    data = body("free")
    api.post(
        "/api/v1/vendors/register", data, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    token = api.post(
        "/api/v1/auth/login", {"email": data["email"], "password": PASSWORD}, format="json"
    ).json()["data"]["access_token"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    from contexts.subscriptions.services.plans import plan_update

    plan_update(code="free", api_requests_per_minute=10**6)

    def me() -> None:
        assert api.get("/api/v1/vendors/me", **headers).status_code == 200

    rows.append(("GET /vendors/me with the plan throttle", *timed_ms(me, number=1000)))
    saved = views.VendorMemberApi.throttle_classes
    views.VendorMeApi.throttle_classes = []
    rows.append(("GET /vendors/me without throttle", *timed_ms(me, number=1000)))
    views.VendorMeApi.throttle_classes = saved
    rows.append(
        ("POST /vendors/register, free plan", *timed_ms(lambda: register(api, "free"), number=50))
    )
    rows.append(
        (
            "POST /vendors/register, growth (sandbox link)",
            *timed_ms(lambda: register(api, "growth"), number=50),
        )
    )
    return rows


def main() -> None:
    config = setup_databases(verbosity=0, interactive=False)
    try:
        rows = measure()
    finally:
        teardown_databases(config, verbosity=0)
    print(f"{'operation':<48} {'median ms':>10} {'p95 ms':>9}")
    for name, median, p95 in rows:
        print(f"{name:<48} {median:>10.3f} {p95:>9.3f}")


if __name__ == "__main__":
    main()
