"""Kafka behind the broker interface (confluent-kafka).

* One topic per *producing* context, ``<ns>.events.<producer>``, with
  ``EVENT_KAFKA_PARTITIONS`` partitions. The message key is the aggregate id, so
  one aggregate's events share a partition and keep their order; the message
  timestamp is the event's ``occurred_at`` (replay by time relies on it).
* One consumer group per *consuming* context, ``<ns>.events.<context>``,
  subscribed to the topics of the producers whose events it handles. Events of
  types the context does not handle are skipped.
* Offsets are committed by hand, only for messages whose handler returned:
  every ``EVENT_KAFKA_COMMIT_EVERY`` messages, when the consumer goes idle, on
  partition revocation and on shutdown. A crash re-delivers at most the
  uncommitted tail, which the inbox makes harmless.
* Offsets of our topics are contiguous (no transactions, no compaction). A fetched
  batch that skips an offset of a partition is not handled: the consumer seeks back and
  fetches again (a benchmark run on Tansu once handed over a partition with one message
  missing, and committing past it lost the event); a gap that is still there the
  second time is logged and passed.
* Messages are handed over in batches of what has already been fetched (at
  most ``EVENT_CONSUMER_BATCH_SIZE``; a batch never waits to fill up). A handler that raises (the database is down,
  say) rewinds each partition to the batch's first message there and retries
  after a pause; nothing behind it is processed first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from django.conf import settings

from bazaar_platform.events.brokers import (
    BrokerUnavailableError,
    MessageHandler,
    OutgoingMessage,
    ReceivedMessage,
    context_queue_name,
    producer_topic_name,
)

log = structlog.get_logger("bazaar.events.kafka")


def _common_config(bootstrap: str) -> dict[str, Any]:
    return {
        "bootstrap.servers": bootstrap,
        "socket.nagle.disable": True,
        "socket.connection.setup.timeout.ms": int(settings.EVENT_BROKER_CONNECT_TIMEOUT * 1000),
    }


def check_kafka(bootstrap: str, timeout: float = 2.0) -> None:
    """Raise if no Kafka broker answers a metadata request within ``timeout`` seconds."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    metadata = admin.list_topics(timeout=timeout)
    if not metadata.brokers:
        raise KafkaException(KafkaError(KafkaError._TRANSPORT, "no brokers in metadata"))


def ensure_topics(bootstrap: str, topics: Iterable[str], *, timeout: float = 5.0) -> None:
    """Create the topics that do not exist yet (idempotent)."""
    admin = AdminClient(_common_config(bootstrap))
    existing = set(admin.list_topics(timeout=timeout).topics)
    missing = sorted(set(topics) - existing)
    if not missing:
        return
    futures = admin.create_topics(
        [
            NewTopic(t, num_partitions=settings.EVENT_KAFKA_PARTITIONS, replication_factor=1)
            for t in missing
        ],
        operation_timeout=timeout,
        request_timeout=timeout,
    )
    for topic, future in futures.items():
        try:
            future.result(timeout=timeout)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
        log.info("kafka_topic_created", topic=topic)


def topics_for(event_types: Collection[str]) -> list[str]:
    return sorted({producer_topic_name(t.partition(".")[0]) for t in event_types})


def _received(message: Message) -> ReceivedMessage:
    return ReceivedMessage(
        body=message.value() or b"",
        headers=_headers(message),
        key=(message.key() or b"").decode("utf-8", errors="replace"),
        topic=message.topic() or "",
        position=f"{message.partition()}:{message.offset()}",
    )


def _first_offsets(batch: Sequence[Message]) -> list[tuple[str, int, int]]:
    """The first offset of each partition in ``batch``: where a retry starts."""
    first: dict[tuple[str, int], int] = {}
    for message in batch:
        first.setdefault((message.topic() or "", message.partition() or 0), message.offset() or 0)
    return [(topic, partition, offset) for (topic, partition), offset in first.items()]


def _first_gap(
    batch: Sequence[Message], expected: dict[tuple[str, int], int]
) -> tuple[str, int, int] | None:
    """``(topic, partition, missing offset)`` of the first message in ``batch`` that
    skips an offset of its partition, given the offset each partition should continue
    at (unknown partitions are not judged); ``None`` if there is no gap."""
    following = dict(expected)
    for message in batch:
        key = (message.topic() or "", message.partition() or 0)
        offset = message.offset() or 0
        want = following.get(key)
        if want is not None and offset > want:
            return (key[0], key[1], want)
        following[key] = offset + 1
    return None


def _headers(message: Message) -> dict[str, str]:
    out: dict[str, str] = {}
    raw = message.headers() or []
    pairs = list(raw.items()) if isinstance(raw, dict) else list(raw)
    for key, value in pairs:
        if isinstance(value, bytes):
            out[key] = value.decode("utf-8", errors="replace")
        elif value is not None:
            out[key] = str(value)
    return out


class KafkaBroker:
    name = "kafka"

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self._lock = threading.Lock()
        self._producer: Producer | None = None
        self._topics: set[str] = set()

    # -- publishing -----------------------------------------------------------
    def _ready_producer(self, topics: set[str]) -> Producer:
        missing = topics - self._topics
        if missing:
            try:
                ensure_topics(
                    self.bootstrap, missing, timeout=settings.EVENT_BROKER_CONNECT_TIMEOUT
                )
            except KafkaException as exc:
                raise BrokerUnavailableError(f"Kafka unreachable: {exc}") from exc
            self._topics |= missing
        if self._producer is None:
            self._producer = Producer(
                {
                    **_common_config(self.bootstrap),
                    "acks": "all",
                    "enable.idempotence": True,
                    "linger.ms": 0,
                    "message.timeout.ms": settings.EVENT_KAFKA_DELIVERY_TIMEOUT_MS,
                }
            )
        return self._producer

    def _drop_producer(self, producer: Producer) -> None:
        """Discard a producer with failed or pending deliveries: its queue must not
        deliver behind the relay's back (and out of order) later."""
        with self._lock:
            if self._producer is producer:
                self._producer = None
        producer.purge()
        producer.flush(0)

    def publish(self, message: OutgoingMessage) -> None:
        error = self.publish_many([message])[0]
        if error is not None:
            raise error

    def publish_many(self, messages: Sequence[OutgoingMessage]) -> list[Exception | None]:
        """Produce, then wait for these messages' delivery reports. The producer is
        shared by the process's threads (it is thread-safe) and nobody holds a lock
        while waiting, so concurrent requests publish in parallel."""
        waiting: Exception = BrokerUnavailableError("Kafka did not acknowledge in time")
        results: list[Exception | None] = [waiting] * len(messages)
        left = [len(messages)]
        settled = threading.Event()
        count_lock = threading.Lock()

        def delivered(index: int, err: KafkaError | None, _msg: Message) -> None:
            results[index] = (
                None if err is None else BrokerUnavailableError(f"Kafka refused: {err}")
            )
            with count_lock:
                left[0] -= 1
                if left[0] == 0:
                    settled.set()

        try:
            with self._lock:
                producer = self._ready_producer({producer_topic_name(m.producer) for m in messages})
        except BrokerUnavailableError as exc:
            return [exc] * len(messages)
        try:
            for index, message in enumerate(messages):
                headers = {**message.headers, "event_type": message.event_type}
                if message.event_id:
                    headers["event_id"] = message.event_id
                producer.produce(
                    producer_topic_name(message.producer),
                    key=message.key.encode(),
                    value=message.body,
                    headers=list(headers.items()),
                    timestamp=message.timestamp_ms or 0,
                    on_delivery=partial(delivered, index),
                )
        except (KafkaException, BufferError) as exc:
            self._drop_producer(producer)
            return [BrokerUnavailableError(str(exc))] * len(messages)
        deadline = time.monotonic() + settings.EVENT_KAFKA_DELIVERY_TIMEOUT_MS / 1000 + 1
        while not settled.is_set() and time.monotonic() < deadline:
            producer.poll(0.005)  # serves delivery reports (ours and other threads')
        if not settled.is_set() or any(r is not None for r in results):
            self._drop_producer(producer)
        return results

    # -- consuming ------------------------------------------------------------
    def subscribe(
        self,
        *,
        context: str,
        event_types: Collection[str],
        handler: MessageHandler,
        stop: Callable[[], bool],
    ) -> None:
        backoff = 0.5
        while not stop():
            try:
                self._consume(context, event_types, handler, stop)
                return
            except Exception as exc:  # broker trouble: reconnect
                log.warning(
                    "consumer_connection_lost",
                    context=context,
                    error=f"{type(exc).__name__}: {exc}",
                )
            _sleep_unless_stopped(backoff, stop)
            backoff = min(backoff * 2, 10.0)

    def _consume(
        self,
        context: str,
        event_types: Collection[str],
        handler: MessageHandler,
        stop: Callable[[], bool],
    ) -> None:
        topics = topics_for(event_types)
        ensure_topics(self.bootstrap, topics)
        consumer = Consumer(
            {
                **_common_config(self.bootstrap),
                "group.id": context_queue_name(context),
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "session.timeout.ms": settings.EVENT_KAFKA_SESSION_TIMEOUT_MS,
                "fetch.wait.max.ms": settings.EVENT_KAFKA_FETCH_WAIT_MAX_MS,
                "heartbeat.interval.ms": max(500, settings.EVENT_KAFKA_SESSION_TIMEOUT_MS // 4),
            }
        )
        done: dict[tuple[str, int], int] = {}  # next offset per partition, handled, not committed
        # The next offset each partition should hand us, and the gaps already fetched again.
        expected: dict[tuple[str, int], int] = {}
        refetched: set[tuple[str, int, int]] = set()

        def commit() -> None:
            if done:
                offsets = [TopicPartition(t, p, o) for (t, p), o in done.items()]
                consumer.commit(offsets=offsets, asynchronous=False)
                done.clear()

        def on_assign(_consumer: Consumer, partitions: list[TopicPartition]) -> None:
            for tp in partitions:
                expected.pop((tp.topic, tp.partition), None)
            try:  # fetching resumes at the committed offset: the first one to expect
                for tp in consumer.committed(partitions, timeout=5):
                    if tp.offset >= 0:
                        expected[(tp.topic, tp.partition)] = tp.offset
            except KafkaException as exc:
                log.info("kafka_committed_unknown", error=str(exc))

        def on_revoke(_consumer: Consumer, partitions: list[TopicPartition]) -> None:
            try:
                commit()
            except KafkaException as exc:
                log.warning("kafka_commit_on_revoke_failed", error=str(exc))
            for tp in partitions:
                expected.pop((tp.topic, tp.partition), None)

        consumer.subscribe(topics, on_assign=on_assign, on_revoke=on_revoke)
        max_batch = max(1, settings.EVENT_CONSUMER_BATCH_SIZE)
        backoff = 0.2
        uncommitted = 0
        try:
            while not stop():
                # Wait for one message, then take whatever else is already fetched:
                # consume() alone would wait for a full batch (or its timeout).
                first = consumer.poll(0.25)
                messages = [first] if first is not None else []
                if first is not None and max_batch > 1:
                    messages += consumer.consume(num_messages=max_batch - 1, timeout=0)
                batch: list[Message] = []
                for message in messages:
                    error = message.error()
                    if error is None:
                        batch.append(message)
                    elif error.fatal():
                        raise KafkaException(error)
                    elif error.code() != KafkaError._PARTITION_EOF:
                        log.warning("kafka_consumer_error", error=str(error))
                if not batch:
                    commit()
                    uncommitted = 0
                    continue
                gap = _first_gap(batch, expected)
                if gap is not None and gap not in refetched:
                    # Our topics have contiguous offsets (no transactions, no compaction),
                    # so a skipped offset is a message the fetch lost: handling the batch
                    # would commit past it. Fetch again from where each partition should
                    # continue; a gap that is still there the second time is real.
                    refetched.add(gap)
                    log.warning(
                        "kafka_offset_gap_refetching",
                        context=context,
                        topic=gap[0],
                        partition=gap[1],
                        offset=gap[2],
                    )
                    for topic, partition, offset in _first_offsets(batch):
                        consumer.seek(
                            TopicPartition(
                                topic, partition, expected.get((topic, partition), offset)
                            )
                        )
                    continue
                if gap is not None:
                    log.warning(
                        "kafka_offset_gap_skipped",
                        context=context,
                        topic=gap[0],
                        partition=gap[1],
                        offset=gap[2],
                    )
                try:
                    handler([_received(m) for m in batch])
                except Exception as exc:  # rewind and retry, in order
                    log.warning(
                        "consumer_handler_raised_rewinding", context=context, error=str(exc)[:300]
                    )
                    commit()
                    for topic, partition, offset in _first_offsets(batch):
                        consumer.seek(TopicPartition(topic, partition, offset))
                        expected[(topic, partition)] = offset
                    _sleep_unless_stopped(backoff, stop)
                    backoff = min(backoff * 2, 10.0)
                    continue
                backoff = 0.2
                for message in batch:
                    key = (message.topic() or "", message.partition() or 0)
                    done[key] = expected[key] = (message.offset() or 0) + 1
                uncommitted += len(batch)
                if uncommitted >= settings.EVENT_KAFKA_COMMIT_EVERY:
                    commit()
                    uncommitted = 0
            commit()
        finally:
            consumer.close()

    def close(self) -> None:
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            producer.flush(5)


def reset_group_offsets(
    bootstrap: str,
    *,
    context: str,
    event_types: Collection[str],
    since: datetime | None,
    timeout: float = 10.0,
) -> list[TopicPartition]:
    """Rewind ``context``'s consumer group to the first message at or after ``since``
    (or to the beginning). The context's consumers must be stopped: Kafka refuses
    offset commits for a group with live members.

    ``offsets_for_times`` gives the starting point; because some Kafka-protocol
    brokers answer it approximately (Tansu returns the earliest offset), each
    partition is then scanned forward to the first message whose timestamp is
    >= ``since``, so the result is exact on any broker.
    """
    topics = topics_for(event_types)
    ensure_topics(bootstrap, topics)
    group = context_queue_name(context)
    consumer = Consumer(
        {
            **_common_config(bootstrap),
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        partitions: list[TopicPartition] = []
        for topic in topics:
            metadata = consumer.list_topics(topic, timeout=timeout).topics[topic]
            for partition_id in sorted(metadata.partitions):
                partitions.append(TopicPartition(topic, partition_id, 0))
        since_ms = int(since.timestamp() * 1000) if since is not None else 0
        for tp in partitions:
            tp.offset = since_ms
        starts = consumer.offsets_for_times(partitions, timeout=timeout)
        result: list[TopicPartition] = []
        for tp in starts:
            low, _high = consumer.get_watermark_offsets(
                TopicPartition(tp.topic, tp.partition), timeout=timeout
            )
            offset = tp.offset if tp.offset >= 0 else low
            if since is not None:
                offset = _first_offset_at_or_after(
                    consumer, tp.topic, tp.partition, offset, since_ms
                )
            result.append(TopicPartition(tp.topic, tp.partition, offset))
        consumer.commit(offsets=result, asynchronous=False)
        return result
    finally:
        consumer.close()


def _first_offset_at_or_after(
    consumer: Consumer, topic: str, partition: int, start: int, since_ms: int
) -> int:
    consumer.assign([TopicPartition(topic, partition, start)])
    offset = start
    try:
        while True:
            message = consumer.poll(1.0)
            if message is None:
                return offset  # the end of the partition: nothing at or after since
            if message.error() is not None:
                continue
            if message.topic() != topic or message.partition() != partition:
                continue
            _kind, timestamp = message.timestamp()
            if timestamp >= since_ms:
                return message.offset() or 0
            offset = (message.offset() or 0) + 1
    finally:
        consumer.unassign()


def _sleep_unless_stopped(seconds: float, stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not stop() and time.monotonic() < deadline:
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
