"""OpenTelemetry tracing for Django, psycopg, Redis and Celery.

Exported over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; otherwise no
tracer provider is installed and instrumentation stays off (zero cost).
"""

from __future__ import annotations

import threading

from django.conf import settings
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

_lock = threading.Lock()
_configured = False


def instrument_libraries() -> None:
    """Instrument the libraries we use; idempotent."""
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    for instrumentor in (
        DjangoInstrumentor(),
        PsycopgInstrumentor(),
        RedisInstrumentor(),
        CeleryInstrumentor(),
    ):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()


def install_provider(exporter: SpanExporter) -> TracerProvider:
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.OTEL_SERVICE_NAME})
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def configure_tracing() -> bool:
    """Called from the platform app's ``ready()``, before middleware is loaded."""
    global _configured
    endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT
    with _lock:
        if _configured or not endpoint:
            return _configured
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        install_provider(OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces"))
        instrument_libraries()
        _configured = True
        return True


tracer = trace.get_tracer("bazaar")
