"""W3C trace context in event headers: one trace from request to handler.

``publish`` opens a PRODUCER span (a child of the request's span) and stores its
context as ``traceparent``/``tracestate`` in the outbox row's headers; the headers
travel with the event over every transport (Celery task argument, AMQP headers,
Kafka headers), and the handler runs in a CONSUMER span whose parent is that
publish span. Without a configured tracer provider all of this is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject

if TYPE_CHECKING:
    from bazaar_platform.events.base import IntegrationEvent

tracer = trace.get_tracer("bazaar.events")

TRACE_HEADERS = ("traceparent", "tracestate")


def current_headers() -> dict[str, str]:
    """Trace headers (``traceparent``/``tracestate``) of the current span, if any."""
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier


@contextmanager
def publish_span(event: IntegrationEvent) -> Iterator[dict[str, str]]:
    """A PRODUCER span for one published event; yields the headers to store with it."""
    with tracer.start_as_current_span(
        f"publish {event.event_type}",
        kind=trace.SpanKind.PRODUCER,
        attributes={
            "messaging.event_type": event.event_type,
            "messaging.message.id": str(event.event_id),
            "bazaar.aggregate_id": event.aggregate_id,
        },
    ):
        yield current_headers()


@contextmanager
def consumer_span(name: str, headers: Mapping[str, Any], **attributes: Any) -> Iterator[None]:
    carrier = {k: str(v) for k, v in headers.items() if k in TRACE_HEADERS}
    token = otel_context.attach(extract(carrier))
    try:
        with tracer.start_as_current_span(
            name, kind=trace.SpanKind.CONSUMER, attributes=attributes
        ):
            yield
    finally:
        otel_context.detach(token)
