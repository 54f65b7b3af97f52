"""Project configuration: settings, URLs, ASGI/WSGI and the Celery app.

Every entry point (manage.py, ASGI/WSGI servers, the Celery worker) imports this
package first, so this is the single place that puts ``platform/`` on ``sys.path``.
``platform/`` has no ``__init__.py`` on purpose: a regular package named ``platform``
would shadow the standard-library module that ``uuid`` (and so Django) imports.
"""

import sys
from pathlib import Path

_PLATFORM_ROOT = str(Path(__file__).resolve().parent.parent / "platform")
if _PLATFORM_ROOT not in sys.path:
    sys.path.insert(1, _PLATFORM_ROOT)

from config.celery import app as celery_app  # noqa: E402

__all__ = ["celery_app"]
