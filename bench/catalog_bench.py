"""Catalogue browsing under load: product list and product detail served by gunicorn (the
production WSGI server, docs/deployment.md) from PostgreSQL with 10,000 published products
and three stores' offers on each, beside a trivial DRF view measured in the same run.

Run (services profile: PostgreSQL; wrk on the PATH)::

    BAZAAR_PROFILE=services DATABASE_URL=postgres://postgres@127.0.0.1:5432/bazaar_inventory \\
    REDIS_URL=redis://127.0.0.1:6379/2 DJANGO_SECRET_KEY=bench DJANGO_SECURE_SSL_REDIRECT=false \\
    python bench/catalog_bench.py --write docs/catalog-benchmark.md

It creates a throwaway database (``bench_<name>``), loads it, starts gunicorn on a free
port (``--workers``, default 2 = this machine's cores, sync workers as in production),
runs wrk (``--connections`` 16, 2 threads, ``--duration`` seconds per URL after a warm-up)
and drops the database.
"""

from __future__ import annotations

import argparse
import os
import platform as stdlib_platform
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.catalog_bench_settings"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from bazaar_platform.seeding import SeedContext  # noqa: E402
from contexts.catalog.cache import invalidate_browsing  # noqa: E402
from contexts.catalog.models import Offer, Product, Variant  # noqa: E402
from contexts.catalog.seed import seed_demo_catalog  # noqa: E402
from contexts.catalog.services import offers_summarise_all  # noqa: E402

PRODUCTS = 10_000
STORES = [uuid.uuid5(uuid.NAMESPACE_URL, f"bench-store-{i}") for i in range(3)]
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
TRIVIAL = "trivial DRF view (20 items, no DB)"
LIST = "product list (20 per page, newest)"


def load(products: int) -> str:
    """The demo catalogue, cloned up to ``products`` published products, three offers on
    every variant. Returns the slug of a product to ask for in the detail runs."""
    with open(os.devnull, "w") as devnull:
        seed_demo_catalog(SeedContext(out=devnull, quiet=True))
    Product.objects.exclude(status=Product.Status.PUBLISHED).update(
        status=Product.Status.PUBLISHED, published_at=timezone.now()
    )
    templates = list(Product.objects.prefetch_related("variants").order_by("slug"))
    now = timezone.now()
    new_products: list[Product] = []
    new_variants: list[Variant] = []
    copy = 0
    while len(templates) + len(new_products) < products:
        template = templates[copy % len(templates)]
        n = copy // len(templates) + 1
        clone = Product(
            name=f"{template.name} {n}",
            slug=f"{template.slug}-{n}"[:200],
            description=template.description,
            status=Product.Status.PUBLISHED,
            brand_id=template.brand_id,
            category_id=template.category_id,
            product_type_id=template.product_type_id,
            attributes=template.attributes,
            published_at=now - timedelta(minutes=copy),
        )
        new_products.append(clone)
        for variant in template.variants.all():
            new_variants.append(
                Variant(
                    product=clone,
                    sku=f"{variant.sku}-{n}"[:64],
                    name=variant.name,
                    attributes=variant.attributes,
                    position=variant.position,
                    is_active=variant.is_active,
                )
            )
        copy += 1
    Product.objects.bulk_create(new_products, batch_size=1000)
    Variant.objects.bulk_create(new_variants, batch_size=2000)
    offers = [
        Offer(
            listing_id=uuid.uuid4(),
            product_id=product_id,
            variant_id=variant_id,
            store_id=store,
            vendor_id=store,
            store_name=f"Bench store {i}",
            store_slug=f"bench-store-{i}",
            price_minor=1000 + (hash((variant_id, i)) % 50_000),
            currency="EUR",
            condition="new",
            available=(hash((variant_id, i, "s")) % 30),
            is_purchasable=True,
            source_updated_at=now,
        )
        for product_id, variant_id in Variant.objects.values_list("product_id", "id")
        for i, store in enumerate(STORES)
    ]
    Offer.objects.bulk_create(offers, batch_size=5000)
    offers_summarise_all()  # bulk_create bypasses the offer services that keep them
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    detail = Product.objects.filter(variants__isnull=False).order_by("slug").first()
    assert detail is not None
    return detail.slug


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer {url}")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, *, connections: int, duration: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    found = {
        pct: _ms(v, u)
        for pct, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rps,
        "p50": found["50"],
        "p99": found["99"],
        "errors": float(non_2xx.group(1)) if non_2xx else 0.0,
    }


def start_server(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            *("--workers", str(workers), "--bind", f"127.0.0.1:{port}"),
            *("--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    return server, f"http://127.0.0.1:{port}"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=PRODUCTS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--write", type=Path)
    parser.add_argument(
        "--keepdb", action="store_true", help="keep (and reuse) the loaded bench database"
    )
    args = parser.parse_args()

    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        f"bench_{settings.DATABASES['default']['NAME']}"
    )
    old = setup_databases(verbosity=0, interactive=False, keepdb=args.keepdb)
    server: subprocess.Popen[bytes] | None = None
    try:
        started = time.monotonic()
        if args.keepdb and Product.objects.count() >= args.products:
            detail = Product.objects.filter(variants__isnull=False).order_by("slug").first()
            assert detail is not None
            detail_slug = detail.slug
        else:
            detail_slug = load(args.products)
        loaded_s = time.monotonic() - started
        db_name = connection.settings_dict["NAME"]
        counts = (Product.objects.count(), Variant.objects.count(), Offer.objects.count())
        connection.close()
        invalidate_browsing()  # the load's bulk_create sends no signal
        base_env = {
            **os.environ,
            "DATABASE_URL": re.sub(r"/[^/]*$", f"/{db_name}", os.environ["DATABASE_URL"]),
            "DJANGO_SETTINGS_MODULE": "bench.catalog_bench_settings",
            "PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}",
        }
        results: dict[str, dict[str, float]] = {}
        # production configuration first (response cache on), then every answer built
        for cache_seconds, suffix in (("300", ""), ("0", ", cache off")):
            server, base = start_server(
                {**base_env, "CATALOG_RESPONSE_CACHE_SECONDS": cache_seconds}, args.workers
            )
            # the trivial view first: a slow URL leaves a backlog the next one would queue behind
            urls = {
                f"{TRIVIAL}{suffix}": f"{base}/bench/trivial",
                f"{LIST}{suffix}": f"{base}/api/v1/catalog/products/",
                f"product detail (variants + offers){suffix}": (
                    f"{base}/api/v1/catalog/products/{detail_slug}/"
                ),
                f"product list (sort=price, in_stock){suffix}": (
                    f"{base}/api/v1/catalog/products/?sort=price&in_stock=true"
                ),
            }
            wait_ready(f"{base}/bench/trivial")
            for url in urls.values():  # warm-up: connections, caches, the plans
                wait_ready(url)
                wrk(url, connections=args.connections, duration=2)
            for name, url in urls.items():
                results[name] = wrk(url, connections=args.connections, duration=args.duration)
                print(f"{name}: {results[name]}", flush=True)
            server.terminate()
            server.wait(timeout=30)
            server = None
        load_after = load_average()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not args.keepdb:
            teardown_databases(old, verbosity=0)

    trivial = results[TRIVIAL]["rps"]
    rows = []
    for name, r in results.items():
        ceiling = results[f"{TRIVIAL}, cache off"] if name.endswith("cache off") else None
        ratio = r["rps"] / (ceiling["rps"] if ceiling else trivial)
        rows.append(
            f"| {name} | {r['rps']:,.0f} | {ratio:.2f}x | {r['p50']:.1f} | {r['p99']:.1f} "
            f"| {int(r['errors'])} |"
        )
    list_result = results[LIST]
    list_ratio = list_result["rps"] / trivial
    verdict = (
        f"- list >= {TARGET_RATIO}x trivial: "
        f"**{'met' if list_ratio >= TARGET_RATIO else 'NOT met'}** ({list_ratio:.2f}x)\n"
        f"- p99 < {TARGET_P99_MS:.0f} ms (every catalogue URL, response cache on): **"
        + (
            "met"
            if all(
                r["p99"] < TARGET_P99_MS
                for n, r in results.items()
                if "trivial" not in n and not n.endswith("cache off")
            )
            else "NOT met"
        )
        + "**"
    )
    report = f"""
## Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC

{counts[0]:,} published products, {counts[1]:,} variants, {counts[2]:,} offers (3 stores per
variant), loaded in {loaded_s:.0f} s. gunicorn {args.workers} sync workers, wrk 2 threads x
{args.connections} connections, {args.duration} s per URL after a 2 s warm-up; PostgreSQL on the
same machine; Python {stdlib_platform.python_version()}, {os.cpu_count()} CPUs, load average
after the run {load_after}.

The first rows are the production configuration (browsing responses cached in Redis until
the next catalogue change; wrk repeats one URL, so they measure the cache hit); the rows
marked "cache off" come from a second server with `CATALOG_RESPONSE_CACHE_SECONDS=0`, where
every answer is built from PostgreSQL, compared with that server's own trivial view.

| URL | req/s | vs trivial | p50 ms | p99 ms | non-2xx |
|---|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

{verdict}
"""
    print(report)
    if args.write:
        text = args.write.read_text() if args.write.exists() else ""
        args.write.write_text(text.rstrip() + "\n" + report if text else report)


if __name__ == "__main__":
    main()
