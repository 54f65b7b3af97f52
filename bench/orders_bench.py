"""Checkouts per second and p99 under concurrency on PostgreSQL, beside the trivial DRF
view, in one run against one gunicorn server; zero oversell checked.

What runs:

* a throwaway database (``bench_<name>``) with one shop, ``LISTINGS`` listings of
  ``STOCK`` units each, and ``CHECKOUTS`` customers, each with one unit of a listing
  (round-robin) in their cart (set up before the clock starts: accounts, log-ins, carts);
* gunicorn (``--workers 2 --threads 4``, WSGI, the production shape) on this database;
* the events as production dispatches them (``BENCH_DISPATCH``, default ``celery``, the
  Compose stack's ``EVENT_DISPATCH``): the request commits its outbox rows (and the
  ``NOTIFY``); ``manage.py relay_outbox`` hands one Celery task per subscribing handler
  to RabbitMQ (a virtual host of this run, made with ``rabbitmqctl``); a Celery worker
  (prefork, 2 processes, every ``events.*`` queue) runs the consumers (notifications,
  search, catalogue offers, ledger...). The relay and the worker run **on this machine,
  during the run**, competing for the same cores. ``BENCH_RELAY_INLINE=true`` also runs
  the after-commit fast path (claim + publish) inside the request, as
  ``EVENT_RELAY_INLINE``'s default does. After the last checkout the run waits
  until the worker has drained every queue and reports how long that took and how many
  handler runs it recorded. ``BENCH_DISPATCH=inprocess`` runs the handlers inside the
  request instead (the previous shape of this benchmark);
* ``CLIENTS`` client threads firing ``GET /bench/trivial`` for ``TRIVIAL_SECONDS``, then
  every checkout (``POST /api/v1/orders/checkout`` with its own Idempotency-Key: order,
  split, stock reservation with row locks, payment link at the sandbox gateway, outbox).
  ``CHECKOUTS`` exceeds the total stock, so the run ends with refusals (409
  ``out_of_stock``) and the oversell check is meaningful: sold == stock, never more.

Run (services profile)::

    BAZAAR_PROFILE=services DATABASE_URL=postgres://postgres@127.0.0.1:5432/bazaar_orders \\
    REDIS_URL=redis://127.0.0.1:6379/3 DJANGO_SECRET_KEY=bench DJANGO_SECURE_SSL_REDIRECT=false \\
    python bench/orders_bench.py

The client threads share the machine (and the GIL of one process) with the server, as the
trivial view's numbers do: compare the two, not either with another machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.orders_bench_settings"
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("PAYMENTS_GATEWAY", "sandbox")
os.environ.setdefault("PAYMENTS_SANDBOX_ENABLED", "true")

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

LISTINGS = int(os.environ.get("BENCH_LISTINGS", "5"))
STOCK = int(os.environ.get("BENCH_STOCK", "80"))
CHECKOUTS = int(os.environ.get("BENCH_CHECKOUTS", "480"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
TRIVIAL_SECONDS = float(os.environ.get("BENCH_TRIVIAL_SECONDS", "10"))
DISPATCH = os.environ.get("BENCH_DISPATCH", "celery")
# Celery dispatch: "false" (default) leaves every delivery to the relay process (one
# claim per batch of events); "true" also runs the after-commit fast path in the request.
RELAY_INLINE = os.environ.get("BENCH_RELAY_INLINE", "false")
RUN = uuid.uuid4().hex[:8]
QUEUES = (
    "default,events.auth,events.catalog,events.vendors,events.subscriptions,events.payments,"
    "events.orders,events.reviews,events.search,events.notifications"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _setup(base: str) -> tuple[list[uuid.UUID], list[str]]:
    """The shop, its listings and one logged-in customer with a one-line cart per checkout."""
    from contexts.orders.services import carts
    from tests.support import orders as support

    # a shop per 20 listings (the free plan's product limit); the customers' carts
    # spread round-robin, so every listing's demand exceeds its stock
    shops = [support.make_shop() for _ in range((LISTINGS + 19) // 20)]
    listings = [
        support.make_listing(shops[n // 20], stock=STOCK, price_minor=1000 + n)
        for n in range(LISTINGS)
    ]
    tokens = []
    with requests.Session() as session:
        for n in range(CHECKOUTS):
            customer = support.make_customer()
            cart = carts.cart_for_customer(customer_user_id=customer)
            carts.cart_line_set(cart=cart, listing_id=listings[n % LISTINGS], quantity=1)
            response = session.post(
                f"{base}/api/v1/auth/login",
                json={"email": support.email_of(customer), "password": support.PASSWORD},
                timeout=30,
            )
            response.raise_for_status()
            tokens.append(response.json()["data"]["access_token"])
    return listings, tokens


def _fire(
    calls: list[Callable[[requests.Session], int]],
) -> tuple[float, list[float], dict[int, int]]:
    """Run the calls on CLIENTS threads; (seconds, latencies ms, count per status)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    local = threading.local()

    def run(call: Callable[[requests.Session], int]) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        started = time.perf_counter()
        status = call(local.session)
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(run, calls))
    return time.perf_counter() - started, latencies, statuses


def _trivial(base: str) -> tuple[float, list[float], dict[int, int]]:
    deadline = time.monotonic() + TRIVIAL_SECONDS

    def call(session: requests.Session) -> int:
        return session.get(f"{base}/bench/trivial", timeout=30).status_code

    # enough calls for the duration at any plausible rate; the clock stops the rest
    def bounded(session: requests.Session) -> int:
        return call(session) if time.monotonic() < deadline else 0

    seconds, latencies, statuses = _fire([bounded] * 200_000)
    served = [ms for ms in latencies if ms > 0.5]
    statuses.pop(0, None)
    return min(seconds, TRIVIAL_SECONDS), served, statuses


def _checkouts(base: str, tokens: list[str]) -> tuple[float, list[float], dict[int, int]]:
    def checkout_call(token: str) -> Callable[[requests.Session], int]:
        def call(session: requests.Session) -> int:
            return session.post(
                f"{base}/api/v1/orders/checkout",
                json={
                    "shipping_address": {
                        "full_name": "Bench",
                        "line1": "1 Road",
                        "city": "Lyon",
                        "postal_code": "69001",
                        "country": "FR",
                    }
                },
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
                timeout=60,
            ).status_code

        return call

    return _fire([checkout_call(t) for t in tokens])


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


def _env(vhost: str) -> dict[str, str]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_SETTINGS_MODULE": "bench.orders_bench_settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'platform'}",
        "EVENT_DISPATCH": DISPATCH,
        "EVENT_RELAY_INLINE": "true" if DISPATCH == "inprocess" else RELAY_INLINE,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CACHE_KEY_PREFIX": f"bench-{RUN}",
        "RATE_LIMIT_KEY_PREFIX": f"bench-rl-{RUN}",
    }
    if vhost:
        env["CELERY_BROKER_URL"] = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    return env


def _worker(vhost: str) -> subprocess.Popen[bytes]:
    celery = str(Path(sys.executable).parent / "celery")
    return subprocess.Popen(
        [
            celery,
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            f"--queues={QUEUES}",
            f"--hostname=bench-{RUN}@%h",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=_env(vhost),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _relay(vhost: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "relay_outbox"],
        cwd=ROOT,
        env=_env(vhost),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _queued(vhost: str) -> int:
    """Messages waiting or being worked on in this run's queues (0: the worker drained them)."""
    from kombu import Connection

    total = 0
    with Connection(f"amqp://guest:guest@127.0.0.1:5672/{vhost}") as conn:
        channel: Any = conn.channel()
        for queue in QUEUES.split(","):
            with contextlib.suppress(Exception):
                _, ready, _ = channel.queue_declare(queue=queue, passive=True)
                total += ready
    return total


def _drain(vhost: str, timeout: float = 600) -> float:
    """Seconds until the relay has sent every event, the worker has taken every queued
    task and the handlers stopped recording work (the inbox is still for a second)."""
    from bazaar_platform.events.models import InboxRecord, OutboxMessage

    started = time.perf_counter()
    last, still_since = -1, time.perf_counter()
    while time.perf_counter() - started < timeout:
        done = InboxRecord.objects.count()
        if done != last:
            last, still_since = done, time.perf_counter()
        elif (
            not _queued(vhost)
            and not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()
            and time.perf_counter() - still_since >= 1.0
        ):
            return round(still_since - started, 1)
        time.sleep(0.2)
    raise RuntimeError("the Celery worker did not drain the event queues")


def _server(port: int, vhost: str) -> subprocess.Popen[bytes]:
    env = _env(vhost)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return subprocess.Popen(
        [
            gunicorn,
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _wait_up(base: str) -> None:
    for _ in range(300):
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{base}/bench/trivial", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def _row(
    name: str, seconds: float, latencies: list[float], statuses: dict[int, int], ok: int
) -> dict[str, Any]:
    return {
        "name": name,
        "requests": len(latencies),
        "per_second": round(len(latencies) / seconds, 1),
        "ok_per_second": round(ok / seconds, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(_percentile(latencies, 0.99), 1),
        "statuses": statuses,
    }


def main() -> None:
    from bazaar_platform.events.models import InboxRecord
    from contexts.orders.models import OrderLine
    from contexts.vendors import facade as vendors

    config = setup_databases(verbosity=0, interactive=False)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    vhost = ""
    worker = relay = None
    if DISPATCH == "celery":
        vhost = f"bazaar-bench-{RUN}"
        _rabbitmqctl("add_vhost", vhost)
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        worker = _worker(vhost)
        relay = _relay(vhost)
    server = _server(port, vhost)
    try:
        _wait_up(base)
        listings, tokens = _setup(base)
        if vhost:
            _drain(vhost)  # the set-up's own events (accounts, listings) out of the way
        handled_before = InboxRecord.objects.count()
        load = os.getloadavg()[0]
        t_seconds, t_lat, t_status = _trivial(base)
        c_seconds, c_lat, c_status = _checkouts(base, tokens)
        drained = _drain(vhost) if vhost else 0.0
        handled = InboxRecord.objects.count() - handled_before
        sold = sum(OrderLine.objects.values_list("quantity", flat=True))
        infos = vendors.listings_get(listing_ids=listings)
        available = sum(i.available for i in infos.values())
        trivial = _row(
            "GET /bench/trivial (20-item JSON)", t_seconds, t_lat, t_status, t_status.get(200, 0)
        )
        checkout = _row(
            "POST /api/v1/orders/checkout", c_seconds, c_lat, c_status, c_status.get(201, 0)
        )
        result = {
            "clients": CLIENTS,
            "server": "gunicorn --workers 2 --threads 4",
            "event_dispatch": DISPATCH,
            "consumers": "relay_outbox + celery worker --pool=prefork --concurrency=2, "
            f"same machine (EVENT_RELAY_INLINE={RELAY_INLINE})"
            if DISPATCH == "celery"
            else "in the request (after commit)",
            "handler_runs_during_checkouts": handled,
            "consumers_drained_s_after_last_checkout": drained,
            "load_average_1m_before": round(load, 2),
            "stock_total": LISTINGS * STOCK,
            "checkouts_attempted": CHECKOUTS,
            "units_sold": sold,
            "available_after": available,
            "oversold": max(0, sold - LISTINGS * STOCK),
            "negative_stock": any(i.available < 0 for i in infos.values()),
            "rows": [trivial, checkout],
            "checkout_to_trivial_throughput": round(
                checkout["per_second"] / trivial["per_second"], 3
            ),
        }
        print(json.dumps(result, indent=2))
        assert sold == LISTINGS * STOCK, "stock accounting is off"
        assert available == 0, "stock accounting is off"
        assert c_status.get(201, 0) == LISTINGS * STOCK, "every unit sold by exactly one checkout"
    finally:
        for process in (server, worker, relay):
            if process is None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        connection.close()
        teardown_databases(config, verbosity=0)
        if vhost:
            _rabbitmqctl("delete_vhost", vhost)


if __name__ == "__main__":
    main()
