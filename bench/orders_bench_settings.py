"""Settings for the orders benchmark only: the project settings plus a trivial DRF view
(``/bench/trivial``, a 20-item JSON list) mounted beside the real API, the baseline the
checkout is compared with in the same server and run."""

from config.settings import *  # noqa: F403
from config.settings import DATABASES

ROOT_URLCONF = "bench.orders_bench_urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # log-ins are set-up only
DATABASES["default"].setdefault("TEST", {})["NAME"] = (
    f"bench_{DATABASES['default']['NAME']}".replace("/", "_")
    if DATABASES["default"]["ENGINE"].endswith("postgresql")
    else None
)
LOGGING_CONFIG = None  # keep the measurement output clean
