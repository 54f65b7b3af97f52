"""How fast a gateway's webhook is acknowledged: verify the signature, deduplicate,
record, transition the payment and write the outbox row, in one transaction.

Run (services profile, PostgreSQL; events dispatched in-process with no subscribers)::

    BAZAAR_PROFILE=services DATABASE_URL=postgres://postgres@127.0.0.1:5432/bazaar_payments \\
    REDIS_URL=redis://127.0.0.1:6379/7 DJANGO_SECRET_KEY=bench DJANGO_SECURE_SSL_REDIRECT=false \\
    python bench/payments_webhook_bench.py -n 500

It creates a throwaway test database (test_<name>), measures through Django's test client
(the whole middleware and DRF stack, no network), and drops it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from contexts.payments import facade  # noqa: E402
from contexts.payments.services import sandbox  # noqa: E402

URL = "/api/v1/payments/webhooks/sandbox"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=500)
    args = parser.parse_args()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        client = Client()
        links, hooks = [], []
        started = time.perf_counter()
        for i in range(args.n):
            links.append(
                facade.payment_link_create(
                    purpose="order",
                    reference_id=uuid.uuid4(),
                    amount_minor=1000 + i,
                    currency="EUR",
                    description="bench",
                    payer_email="bench@example.com",
                    idempotency_key=f"bench-{uuid.uuid4()}",
                )
            )
        link_ms = (time.perf_counter() - started) * 1000 / args.n
        secret = sandbox.sandbox_webhook_secret()
        for result in links:
            checkout_id = result.url.rsplit("/", 1)[1]
            checkout = sandbox.sandbox_checkout_decide(checkout_id=checkout_id, approve=True)
            hooks.append(sandbox.sandbox_webhook_body(checkout))

        def post(body: bytes) -> float:
            header = sandbox.sandbox_sign(body=body, secret=secret)
            t0 = time.perf_counter()
            response = client.post(
                URL,
                data=body,
                content_type="application/json",
                HTTP_BAZAAR_SANDBOX_SIGNATURE=header,
            )
            elapsed = (time.perf_counter() - t0) * 1000
            assert response.status_code == 200, response.content
            return elapsed

        first = [post(body) for body in hooks]
        time.sleep(1.01)  # redeliveries need a fresh signature second
        dupes = [post(body) for body in hooks]
        for label, values in (
            ("first delivery (processed)", first),
            ("redelivery (duplicate)", dupes),
        ):
            print(
                f"{label:28} n={len(values)}  p50={statistics.median(values):.2f} ms  "
                f"p95={_pct(values, 0.95):.2f} ms  p99={_pct(values, 0.99):.2f} ms  "
                f"~{1000 / statistics.mean(values):.0f}/s (one client)"
            )
        print(f"payment_link_create (sandbox)  mean={link_ms:.2f} ms")
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
