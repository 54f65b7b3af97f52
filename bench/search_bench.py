"""Search latency (p50/p99) with 10,000 products at a fixed concurrency, beside the
catalogue's plain product list, in one run against one gunicorn server.

What runs:

* a throwaway database (``bench_<name>``): the demo catalogue (``seed_demo_catalog``)
  grown to ``PRODUCTS`` published products by deriving editions of the demo products
  (same brands, categories, attributes; names like "Apple iPhone 15 Pro Edition 7"),
  each with one variant; every product announced with ``catalog.product_published``
  (the outbox, as in production) and indexed by the search handler, in batches of 500
  per transaction (the set-up, not measured); a vendor offer per product with a price
  and stock, through the vendors' ``listing_updated`` handler;
* gunicorn (``--workers 2 --threads 4``, WSGI, the production shape) on this database;
* ``CLIENTS`` client threads, for ``SECONDS`` each:
  1. ``GET /api/v1/catalog/products/`` (the catalogue's plain list, 20 per page, a
     random page of the first 50), then
  2. ``GET /api/v1/search/products/?q=...``: a fixed mix of queries (single words,
     several words, typos that need correcting, prefixes, web syntax, filters and
     sorts, browsing a category), each with its facets.

Run (services profile)::

    BAZAAR_PROFILE=services DATABASE_URL=postgres://postgres@127.0.0.1:5432/bazaar_search \\
    REDIS_URL=redis://127.0.0.1:6379/6 DJANGO_SECRET_KEY=bench DJANGO_SECURE_SSL_REDIRECT=false \\
    python bench/search_bench.py

The client threads share the machine with the server and the database: compare the
rows of one run, not either with another machine.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.search_bench_settings"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "10000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
TARGET_P99_MS = 50.0

QUERIES: list[dict[str, str]] = [
    {"q": "iphone"},
    {"q": "iphone 15 pro"},
    {"q": "samsung galaxy"},
    {"q": "wireless headphones"},
    {"q": "noise cancelling headphones"},
    {"q": "macbook air"},
    {"q": "thinkpad x1 carbon"},
    {"q": "espresso machine"},
    {"q": "floor lamp"},
    {"q": "trail runner"},
    {"q": "linen shirt"},
    {"q": "yoga mat"},
    {"q": "gravel bike"},
    {"q": "okafor"},
    {"q": "kettle"},
    {"q": "mirrorless camera", "sort": "price_asc"},
    {"q": "iphnoe"},
    {"q": "macbok pro"},
    {"q": "adjustable dumbell"},
    {"q": "hedphones sony"},
    {"q": "ipa"},
    {"q": "thinkp"},
    {"q": "lamp -desk"},
    {"q": '"stand mixer"'},
    {"q": "phone", "brand": "apple", "attr_colour": "black"},
    {"q": "laptop", "price_max": "150000", "in_stock": "true"},
    {"q": "shoes", "sort": "rating"},
    {"category": "electronics"},
    {"category": "home", "sort": "newest"},
    {"q": "&|!():*"},
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _grow_catalogue() -> list[uuid.UUID]:
    """The demo catalogue plus derived editions up to PRODUCTS published products."""
    from bazaar_platform.seeding import SeedContext
    from contexts.catalog.models import Product, Variant
    from contexts.catalog.seed import seed_demo_catalog

    seed_demo_catalog(SeedContext(out=open(os.devnull, "w"), quiet=True))  # noqa: SIM115
    base = list(Product.objects.filter(status=Product.Status.PUBLISHED).order_by("slug"))
    now = datetime.now(UTC)
    products: list[Product] = []
    variants: list[Variant] = []
    missing = PRODUCTS - len(base)
    for n, original in zip(range(missing), itertools.cycle(base), strict=False):
        edition = n // len(base) + 2
        product = Product(
            id=uuid.uuid4(),
            name=f"{original.name} Edition {edition}",
            slug=f"{original.slug}-edition-{edition}",
            description=original.description,
            status=Product.Status.PUBLISHED,
            brand_id=original.brand_id,
            category_id=original.category_id,
            product_type_id=original.product_type_id,
            attributes=original.attributes,
            published_at=now,
        )
        products.append(product)
        variants.append(
            Variant(
                id=uuid.uuid4(),
                product=product,
                sku=f"BENCH-{n:06d}",
                name="Standard",
                attributes=original.variants.first().attributes if n < len(base) else {},
                position=0,
            )
        )
    Product.objects.bulk_create(products, batch_size=1000)
    Variant.objects.bulk_create(variants, batch_size=1000)
    return [p.id for p in base] + [p.id for p in products]


def _index(product_ids: list[uuid.UUID]) -> float:
    """Publish every product's event (outbox) and apply it with the search handler in
    batches of 500 per transaction; returns products indexed per second."""
    from contexts.catalog import selectors as catalog_selectors
    from contexts.catalog.events import ProductPublished
    from contexts.search import handlers
    from contexts.vendors.events import ListingUpdated

    rng = random.Random(11)
    started = time.perf_counter()
    for start in range(0, len(product_ids), 500):
        chunk = product_ids[start : start + 500]
        snapshots = catalog_selectors.product_snapshots(product_ids=chunk)
        with transaction.atomic():
            for product_id in chunk:
                handlers.on_product_published_index(ProductPublished(**snapshots[product_id]))
                handlers.on_listing_updated_fold_offer(
                    ListingUpdated(
                        listing_id=uuid.uuid4(),
                        store_id=uuid.uuid4(),
                        vendor_id=uuid.uuid4(),
                        product_id=product_id,
                        variant_id=uuid.uuid4(),
                        price_minor=rng.randint(500, 250_000),
                        currency="EUR",
                        condition="new",
                        available=rng.choice((0, 3, 10, 50)),
                        is_purchasable=True,
                        updated_at=datetime.now(UTC),
                    )
                )
    return len(product_ids) / (time.perf_counter() - started)


def _fire(
    call: Callable[[requests.Session, int], int],
) -> tuple[float, list[float], dict[int, int]]:
    """CLIENTS threads calling ``call`` until SECONDS pass; (seconds, ms, per status)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def client(worker: int) -> None:
        with requests.Session() as session:
            n = worker
            while time.monotonic() < deadline:
                started = time.perf_counter()
                status = call(session, n)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
                n += CLIENTS

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    return time.perf_counter() - started, latencies, statuses


def _server(port: int) -> subprocess.Popen[bytes]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_SETTINGS_MODULE": "bench.search_bench_settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'platform'}",
        "EVENT_DISPATCH": "inprocess",
    }
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
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def _row(
    name: str, seconds: float, latencies: list[float], statuses: dict[int, int]
) -> dict[str, Any]:
    return {
        "name": name,
        "requests": len(latencies),
        "per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(_percentile(latencies, 0.99), 1),
        "statuses": statuses,
    }


def _in_process(repeats: int = 5) -> dict[str, Any]:
    """Each query of the mix run ``repeats`` times in this process, one at a time (no
    HTTP, no concurrency): what one search costs in Python and PostgreSQL, per query."""
    from contexts.search.selectors import SearchFilters, document_search

    per_query: dict[str, float] = {}
    samples: list[float] = []
    for params in QUERIES:
        filters = SearchFilters(
            q=params.get("q", ""),
            category=params.get("category"),
            brands=[params["brand"]] if "brand" in params else [],
            attributes={"colour": [params["attr_colour"]]} if "attr_colour" in params else {},
            price_max=int(params["price_max"]) if "price_max" in params else None,
            in_stock=True if params.get("in_stock") == "true" else None,
            sort=params.get("sort", "relevance"),
        )
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            document_search(filters=filters, limit=20)
            timings.append((time.perf_counter() - started) * 1000)
        samples += timings
        per_query[json.dumps(params)] = round(statistics.median(timings), 1)
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p99_ms": round(_percentile(samples, 0.99), 1),
        "median_ms_per_query": per_query,
    }


def main() -> None:
    from contexts.search.models import SearchDocument

    config = setup_databases(verbosity=0, interactive=False)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _server(port)
    try:
        product_ids = _grow_catalogue()
        indexed_per_second = _index(product_ids)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        documents = SearchDocument.objects.filter(is_published=True).count()
        _wait_up(base)

        def plain_list(session: requests.Session, n: int) -> int:
            offset = (n % 50) * 20
            url = f"{base}/api/v1/catalog/products/?limit=20&offset={offset}"
            return session.get(url, timeout=30).status_code

        def search(session: requests.Session, n: int) -> int:
            params = QUERIES[n % len(QUERIES)]
            return session.get(
                f"{base}/api/v1/search/products/", params=params, timeout=30
            ).status_code

        # warm both paths (connections, caches) before the clock
        with requests.Session() as session:
            for n in range(2 * len(QUERIES)):
                plain_list(session, n)
                search(session, n)
        load = os.getloadavg()[0]
        rows = [
            _row("GET /api/v1/catalog/products/ (plain list)", *_fire(plain_list)),
            _row("GET /api/v1/search/products/ (query mix, facets)", *_fire(search)),
        ]
        in_process = _in_process()
        result = {
            "products": documents,
            "clients": CLIENTS,
            "seconds_per_row": SECONDS,
            "server": "gunicorn --workers 2 --threads 4",
            "load_average_1m_before": round(load, 2),
            "indexed_products_per_second": round(indexed_per_second, 1),
            "rows": rows,
            "in_process_one_at_a_time": in_process,
            "search_p99_target_ms": TARGET_P99_MS,
            "search_p99_met": rows[1]["p99_ms"] < TARGET_P99_MS,
        }
        print(json.dumps(result, indent=2))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
        connection.close()
        teardown_databases(config, verbosity=0)


if __name__ == "__main__":
    main()
