"""Settings for the auth benchmark only: the project settings plus DRF's DB-backed
``TokenAuthentication`` (rest_framework.authtoken), the baseline we compare against.
The project itself never installs authtoken."""

from config.settings import *  # noqa: F403
from config.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework.authtoken"]
DATABASES["default"].setdefault("TEST", {})["NAME"] = (
    f"bench_{DATABASES['default']['NAME']}".replace("/", "_")
    if DATABASES["default"]["ENGINE"].endswith("postgresql")
    else None
)
LOGGING_CONFIG = None  # keep the measurement output clean
