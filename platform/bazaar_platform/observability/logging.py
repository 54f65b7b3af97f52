"""One structlog configuration for web, worker and consumer processes.

JSON lines in the services profile, a readable console format in the embedded one.
Standard-library loggers (Django, Celery, kombu) are routed through the same
processors, so every line carries ``request_id``, ``user_id`` and ``trace_id`` when known.
"""

from __future__ import annotations

from typing import Any

import structlog
from opentelemetry import trace


def add_trace_context(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict["trace_id"] = format(span_context.trace_id, "032x")
        event_dict["span_id"] = format(span_context.span_id, "016x")
    return event_dict


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        add_trace_context,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]


def build_logging_config(fmt: str, level: str) -> dict[str, Any]:
    """Return Django's ``LOGGING`` dict and configure structlog to match."""
    if fmt not in {"json", "console"}:
        raise ValueError(f"LOG_FORMAT must be json or console, not {fmt!r}")
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    final = [structlog.processors.format_exc_info, renderer] if fmt == "json" else [renderer]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": _shared_processors(),
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
            }
        },
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "django.server": {"level": "WARNING"},
            "django.db.backends": {"level": "INFO"},
            "kombu": {"level": "WARNING"},
            "amqp": {"level": "WARNING"},
        },
    }
