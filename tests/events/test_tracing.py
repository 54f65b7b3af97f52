"""W3C trace context in event headers: one trace from the request through the publish
span to the handler span, in-process (spans captured with an in-memory exporter) and
across every broker transport (the handler, in another process, records the trace id
its span belongs to)."""

from __future__ import annotations

import uuid

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bazaar_platform.events import publish
from bazaar_platform.events.models import OutboxMessage
from tests.events.conftest import RABBITMQ_URL, committed, note_rows, wait_until
from tests.events.support.events import NoteRecorded

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(scope="module")
def exporter():
    """An SDK tracer provider with an in-memory exporter (added to the global provider if
    another test already installed an SDK one: the global provider can be set once)."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def _publish_in_request(note_id):
    tracer = trace.get_tracer("tests.events")
    with tracer.start_as_current_span("POST /api/v1/notes", kind=trace.SpanKind.SERVER) as span:
        event = NoteRecorded(note_id=note_id, seq=0)
        with committed():
            publish(event)
    return event, format(span.get_span_context().trace_id, "032x"), span


def test_request_publish_and_handler_spans_share_one_trace(exporter):
    exporter.clear()
    event, trace_id, request_span = _publish_in_request(uuid.uuid4())
    spans = {s.name: s for s in exporter.get_finished_spans()}
    publish_span = spans["publish evtest.note_recorded"]
    handler_spans = [
        s for s in exporter.get_finished_spans() if s.name == "handle evtest.note_recorded"
    ]
    assert len(handler_spans) == 2  # one per subscribing handler
    assert publish_span.kind is trace.SpanKind.PRODUCER
    assert publish_span.parent.span_id == request_span.get_span_context().span_id
    for span in handler_spans:
        assert span.kind is trace.SpanKind.CONSUMER
        assert format(span.context.trace_id, "032x") == trace_id
        assert span.parent.span_id == publish_span.context.span_id
    headers = OutboxMessage.objects.get(event_id=event.event_id).headers
    assert headers["traceparent"].split("-")[1] == trace_id
    assert note_rows(event.note_id)[0][3] == trace_id


@pytest.mark.broker
@pytest.mark.parametrize(
    "transport",
    [
        "rabbitmq",
        pytest.param("kafka", marks=pytest.mark.kafka),
        "celery-rabbitmq",
        pytest.param("celery-kafka", marks=pytest.mark.kafka),
    ],
)
def test_trace_context_crosses_the_broker_to_the_handler(exporter, transport, settings, request):
    if transport == "rabbitmq":
        request.getfixturevalue("rabbit_consumer")
        settings.EVENT_DISPATCH, settings.EVENT_BROKER = "broker", "rabbitmq"
        settings.EVENT_BROKER_URL = RABBITMQ_URL
    elif transport == "kafka":
        request.getfixturevalue("kafka_consumer")
        settings.EVENT_DISPATCH, settings.EVENT_BROKER = "broker", "kafka"
        settings.EVENT_BROKER_URL = request.getfixturevalue("kafka_bootstrap")
    elif transport == "celery-rabbitmq":
        request.getfixturevalue("celery_rabbit_worker")
        settings.EVENT_DISPATCH, settings.CELERY_BROKER_URL = "celery", RABBITMQ_URL
    else:
        request.getfixturevalue("celery_kafka_worker")
        settings.EVENT_DISPATCH = "celery"
        settings.CELERY_BROKER_URL = (
            f"confluentkafka://{request.getfixturevalue('kafka_bootstrap')}"
        )
    note_id = uuid.uuid4()
    _event, trace_id, _span = _publish_in_request(note_id)
    rows = wait_until(
        lambda: note_rows(note_id), timeout=30, what="the handler in the other process"
    )
    assert rows[0][3] == trace_id
