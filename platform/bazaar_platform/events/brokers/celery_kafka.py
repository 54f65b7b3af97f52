"""kombu's ``confluentkafka://`` transport, made safe for the outbox relay.

kombu's own ``Channel._put`` calls ``producer.flush()`` and ignores the delivery
report, so a task message that Kafka never accepted counts as sent and the relay
would mark the event delivered: lost. This channel waits for the delivery report
(bounded by the producer's ``message.timeout.ms``) and raises if the message was
not acknowledged, so the relay keeps the event and retries.

Selected by ``CELERY_BROKER_TRANSPORT`` when ``CELERY_BROKER_URL`` is
``confluentkafka://host:port`` (see the event block of ``config/settings.py``).

It also dead-letters (and skips) bytes on the topic that are not a kombu message,
which kombu's ``_get`` would fail on at every poll.

Known limit of the underlying transport, kept: kombu acknowledges a Kafka task by
committing the consumer's *position*, so a task still waiting for its retry
countdown can be committed past by a later ack; a worker dying in that window
loses that retry. The native Kafka consumer (``EVENT_DISPATCH=broker``) has no
such window.
"""

from __future__ import annotations

from queue import Empty
from typing import Any

from confluent_kafka import KafkaError, Message
from kombu.transport import confluentkafka
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps, loads


class Channel(confluentkafka.Channel):
    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:
        queue = self.sanitize_queue_name(queue)
        producer = self._get_producer(queue)  # type: ignore[attr-defined]
        errors: list[KafkaError] = []

        def on_delivery(err: KafkaError | None, _msg: Message) -> None:
            if err is not None:
                errors.append(err)

        producer.produce(queue, str_to_bytes(dumps(message)), on_delivery=on_delivery)
        timeout_ms = (self.options.get("kafka_producer_config") or {}).get(
            "message.timeout.ms", 30_000
        )
        remaining = producer.flush(timeout_ms / 1000 + 1)
        if remaining or errors:
            producer.purge()
            self._kafka_producers.pop(queue, None)  # type: ignore[attr-defined]
            detail = errors[0] if errors else f"{remaining} message(s) not acknowledged"
            raise confluentkafka.NoBrokersAvailable(
                KafkaError(KafkaError._MSG_TIMED_OUT, str(detail))
            )

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        """kombu's ``_get``, except that bytes which are not a kombu message envelope
        are dead-lettered and skipped; kombu would raise from the worker's consumer
        loop on every poll of that offset, forever."""
        queue = self.sanitize_queue_name(queue)
        consumer = self._get_consumer(queue)  # type: ignore[attr-defined]
        message = consumer.poll(self.wait_time_seconds)
        if not message:
            raise Empty()
        error = message.error()
        if error:
            confluentkafka.logger.error(error)
            raise Empty()
        raw = message.value() or b""
        try:
            payload = loads(raw)
            properties = payload["properties"]
            if not isinstance(properties, dict) or "delivery_tag" not in properties:
                raise ValueError("no delivery tag")
        except (ValueError, TypeError, KeyError) as exc:
            from bazaar_platform.events.celery_hooks import record_bad_message

            record_bad_message(
                raw,
                reason="malformed_message",
                error=f"not a kombu message on {queue}: {type(exc).__name__}: {exc}",
                transport="celery-kafka",
            )
            consumer.commit(message=message, asynchronous=False)
            raise Empty() from None
        return {**payload, "topic": message.topic()}


class Transport(confluentkafka.Transport):
    Channel = Channel
