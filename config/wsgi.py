"""WSGI entry point: the HTTP API in production (gunicorn); see docs/architecture.md."""

import os

from django.core.wsgi import get_wsgi_application

import config  # noqa: F401  (puts platform/ on sys.path)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
