"""Celery worker hooks: same log format, request context and task outcome metrics."""

from __future__ import annotations

from typing import Any

import structlog
from celery import signals

from bazaar_platform.observability.metrics import CELERY_TASKS

_connected = False


def _task_name(sender: Any) -> str:
    return str(getattr(sender, "name", sender))


def _on_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task_id=task_id, task=_task_name(task))


def _on_success(sender: Any = None, **_: Any) -> None:
    CELERY_TASKS.labels(_task_name(sender), "success").inc()


def _on_failure(sender: Any = None, **_: Any) -> None:
    CELERY_TASKS.labels(_task_name(sender), "failure").inc()


def _on_retry(sender: Any = None, **_: Any) -> None:
    CELERY_TASKS.labels(_task_name(sender), "retry").inc()


def _keep_django_logging(**_: Any) -> None:
    """Connected to ``setup_logging`` so Celery keeps Django's (structlog) LOGGING."""


def _instrument_worker(**_: Any) -> None:
    from bazaar_platform.observability.tracing import configure_tracing

    configure_tracing()


def connect() -> None:
    global _connected
    if _connected:
        return
    signals.task_prerun.connect(_on_prerun, weak=False)
    signals.task_success.connect(_on_success, weak=False)
    signals.task_failure.connect(_on_failure, weak=False)
    signals.task_retry.connect(_on_retry, weak=False)
    signals.setup_logging.connect(_keep_django_logging, weak=False)
    signals.worker_process_init.connect(_instrument_worker, weak=False)
    _connected = True
