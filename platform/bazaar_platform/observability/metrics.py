"""Prometheus metrics: request latency by route, DB queries per request, Celery outcomes.

Written on ``prometheus_client`` directly rather than django-prometheus: we want the
route *pattern* as the label (bounded cardinality, stable across renames of view
functions) and a per-request query count, which needs Django's ``execute_wrapper``
rather than swapping the database engine class.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from bazaar_platform.api.responses import error_response

REQUEST_LATENCY = Histogram(
    "bazaar_http_request_duration_seconds",
    "HTTP request latency by route pattern.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUEST_DB_QUERIES = Histogram(
    "bazaar_http_request_db_queries",
    "Database queries executed per HTTP request, by route pattern.",
    ["route"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89),
)
DB_QUERIES = Counter("bazaar_db_queries_total", "Database queries executed.", ["alias"])
CELERY_TASKS = Counter("bazaar_celery_tasks_total", "Celery task outcomes.", ["task", "outcome"])
EVENTS_HANDLED = Counter(
    "bazaar_events_handled_total", "Event handler outcomes.", ["handler", "outcome"]
)


class _QueryCounter:
    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        DB_QUERIES.labels(alias=self.alias).inc()
        return execute(sql, params, many, context)


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        counter = _QueryCounter("default")
        started = time.perf_counter()
        with connections["default"].execute_wrapper(counter):
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = f"/{match.route}" if match is not None and match.route else "<unmatched>"
        REQUEST_LATENCY.labels(request.method or "", route, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        REQUEST_DB_QUERIES.labels(route).observe(counter.count)
        return response


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``/metrics``: for Prometheus (bearer ``METRICS_TOKEN``) and staff, nobody else."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    bearer_ok = bool(token) and hmac.compare_digest(header.encode(), f"Bearer {token}".encode())
    user = getattr(request, "user", None)
    staff_ok = user is not None and user.is_authenticated and user.is_staff
    if not (bearer_ok or staff_ok):
        return error_response(403, "permission_denied", "Metrics are not public.")
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
