"""Settings for the catalogue benchmark: the project settings plus one trivial DRF view
(``/bench/trivial``, the stack's ceiling) mounted beside the real URLs."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.catalog_bench_urls"
