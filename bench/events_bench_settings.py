"""Settings for the event benchmark and the worker/consumer processes it starts: the
project settings plus the bench-only app (one event, one handler)."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.events_support.apps.EventsBenchSupportConfig"]
from config.settings import DATABASES  # noqa: E402

DATABASES["default"].setdefault("TEST", {})["NAME"] = f"bench_{DATABASES['default']['NAME']}"
