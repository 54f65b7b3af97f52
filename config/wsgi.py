"""WSGI entry point: the HTTP API in production (gunicorn); see docs/architecture.md."""

import os

import config  # noqa: F401  (puts platform/ on sys.path)
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
