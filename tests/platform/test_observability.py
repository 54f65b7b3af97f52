"""Structured logs, metrics and OTLP trace export."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import override_settings

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """JSON lines written through the project's own log formatter during the test."""
    import io

    import structlog

    stream = io.StringIO()
    root = logging.getLogger()
    formatter = next(
        h.formatter
        for h in root.handlers
        if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    yield lambda: _json_lines(stream.getvalue())
    root.removeHandler(handler)


def _json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


def test_access_log_is_json_with_request_and_user_ids(client, django_user_model, log_lines):
    user = django_user_model.objects.create_user("logs@example.com", "pw-Long-enough-1")
    client.force_login(user)
    client.get("/healthz", HTTP_X_REQUEST_ID="req-42")
    records = [r for r in log_lines() if r.get("event") == "http_request"]
    assert records, "no JSON access log line was written"
    record = records[-1]
    assert record["request_id"] == "req-42"
    assert record["user_id"] == str(user.pk)
    assert record["status"] == 200 and record["path"] == "/healthz"
    assert record["level"] == "info" and "timestamp" in record


def test_log_lines_carry_the_trace_id_of_the_current_span(log_lines):
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        logging.getLogger("bazaar.test").warning("inside a span")
        trace_id = format(span.get_span_context().trace_id, "032x")
    records = [r for r in log_lines() if r.get("event") == "inside a span"]
    assert records and records[-1]["trace_id"] == trace_id


def test_metrics_are_not_public(client):
    response = client.get("/metrics")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@override_settings(METRICS_TOKEN="scrape-me")
def test_metrics_with_the_scrape_token(client):
    client.get("/healthz")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me")
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        'bazaar_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz",status="200"}'
        in text
    )
    assert "bazaar_http_request_db_queries" in text
    assert "bazaar_celery_tasks_total" in text or "bazaar_celery_tasks" in text


def test_metrics_for_staff_sessions(client, django_user_model):
    staff = django_user_model.objects.create_user(
        "ops@example.com", "pw-Long-enough-1", is_staff=True
    )
    client.force_login(staff)
    assert client.get("/metrics").status_code == 200


def test_celery_task_outcomes_are_counted():
    from celery import shared_task
    from prometheus_client import REGISTRY

    @shared_task(name="tests.observability.ok")
    def ok() -> int:
        return 1

    before = (
        REGISTRY.get_sample_value(
            "bazaar_celery_tasks_total", {"task": "tests.observability.ok", "outcome": "success"}
        )
        or 0
    )
    ok.apply()
    after = REGISTRY.get_sample_value(
        "bazaar_celery_tasks_total", {"task": "tests.observability.ok", "outcome": "success"}
    )
    assert after == before + 1


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, int]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Collector.received.append((self.path, len(body)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_traces_are_exported_over_otlp_http_when_configured(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    code = (
        "import config, django; django.setup()\n"
        "from django.test import Client\n"
        "from opentelemetry import trace\n"
        "assert Client().get('/healthz').status_code == 200\n"
        "trace.get_tracer_provider().force_flush()\n"
    )
    env = dict(
        os.environ,
        OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ALLOWED_HOSTS="testserver",
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    assert any(path == "/v1/traces" and size > 0 for path, size in _Collector.received)


def test_tracing_stays_off_when_not_configured():
    from opentelemetry import trace

    from bazaar_platform.observability.tracing import configure_tracing

    assert configure_tracing() is False
    assert not trace.get_current_span().get_span_context().is_valid
