"""Settings for the subprocesses the event tests start: the project's, plus the test app."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.events.support.apps.EventsTestSupportConfig"]
