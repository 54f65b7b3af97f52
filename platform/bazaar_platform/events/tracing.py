"""W3C trace context in event headers: one trace from request to handler."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject

tracer = trace.get_tracer("bazaar.events")


def current_headers() -> dict[str, str]:
    """Trace headers (``traceparent``/``tracestate``) of the current span, if any."""
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier


@contextmanager
def consumer_span(name: str, headers: Mapping[str, Any], **attributes: Any) -> Iterator[None]:
    parent = extract({k: str(v) for k, v in headers.items()})
    token = otel_context.attach(parent)
    try:
        with tracer.start_as_current_span(
            name, kind=trace.SpanKind.CONSUMER, attributes=attributes
        ):
            yield
    finally:
        otel_context.detach(token)
