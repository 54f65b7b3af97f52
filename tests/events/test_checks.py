"""The system check that flags Celery over Kafka (ADR 0008)."""

from __future__ import annotations

from bazaar_platform.events.checks import check_celery_over_kafka


def test_celery_over_kafka_is_flagged(settings):
    settings.EVENT_DISPATCH = "celery"
    settings.CELERY_BROKER_URL = "confluentkafka://127.0.0.1:9092"
    [warning] = check_celery_over_kafka()
    assert warning.id == "bazaar_events.W001"
    assert "EVENT_DISPATCH=broker" in (warning.hint or "")


def test_celery_tasks_over_kafka_are_flagged_in_any_dispatch_mode(settings):
    settings.EVENT_DISPATCH = "broker"
    settings.EVENT_BROKER = "kafka"
    settings.CELERY_BROKER_URL = "confluentkafka://127.0.0.1:9092"
    [warning] = check_celery_over_kafka()
    assert "RabbitMQ" in (warning.hint or "")


def test_celery_over_rabbitmq_with_native_kafka_events_is_not_flagged(settings):
    settings.EVENT_DISPATCH = "broker"
    settings.EVENT_BROKER = "kafka"
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
    assert check_celery_over_kafka() == []
    settings.EVENT_DISPATCH = "celery"
    assert check_celery_over_kafka() == []
