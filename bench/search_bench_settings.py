"""Settings for the search benchmark only: the project settings on a throwaway
database (``bench_<name>``), quiet logs."""

from config.settings import *  # noqa: F403
from config.settings import DATABASES

DATABASES["default"].setdefault("TEST", {})["NAME"] = (
    f"bench_{DATABASES['default']['NAME']}".replace("/", "_")
    if DATABASES["default"]["ENGINE"].endswith("postgresql")
    else None
)
LOGGING_CONFIG = None  # keep the measurement output clean
