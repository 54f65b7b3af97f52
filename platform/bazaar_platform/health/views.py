"""``/healthz`` (the process is alive) and ``/readyz`` (its dependencies answer)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, JsonResponse

from bazaar_platform.api.responses import data_response, error_response


def _check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    cache.set("readyz:probe", "1", timeout=5)
    if cache.get("readyz:probe") != "1":
        raise RuntimeError("cache did not return the value just written")


def _check_celery_broker() -> None:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _check_event_broker() -> None:
    from bazaar_platform.events.brokers import check_broker

    check_broker(timeout=2.0)


def readiness_checks() -> dict[str, Callable[[], None]]:
    checks: dict[str, Callable[[], None]] = {"database": _check_database, "cache": _check_cache}
    if not settings.CELERY_TASK_ALWAYS_EAGER and not settings.CELERY_BROKER_URL.startswith(
        "memory"
    ):
        if settings.CELERY_BROKER_URL.startswith("confluentkafka"):
            checks["broker"] = _check_event_broker_for_celery_kafka
        else:
            checks["broker"] = _check_celery_broker
    if settings.EVENT_DISPATCH == "broker":
        checks["event_broker"] = _check_event_broker
    return checks


def _check_event_broker_for_celery_kafka() -> None:
    from bazaar_platform.events.brokers.kafka import check_kafka

    check_kafka(settings.CELERY_BROKER_URL.split("://", 1)[1].rstrip("/"), timeout=2.0)


def healthz(request: HttpRequest) -> JsonResponse:
    return data_response({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    down: dict[str, str] = {}
    for name, check in readiness_checks().items():
        try:
            check()
        except Exception as exc:
            down[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
    if down:
        return error_response(
            503, "not_ready", f"Unavailable: {', '.join(sorted(down))}.", fields=down
        )
    return data_response({"status": "ready", "checks": sorted(readiness_checks())})
