"""Websocket delivery latency of in-app notifications, and the ASGI process's memory.

1,000 users each hold one open ``/ws/notifications/`` socket on ONE daphne process
(services profile: PostgreSQL, the Redis channel layer). A producer process then
sends in-app notifications through the public way in (``notification_send``: the
``notifications.send_requested`` command through the outbox, its handler, the
delivery task, the channel layer) at a steady rate, round-robin over the users.

Latency = the instant the command's transaction committed (an ``on_commit`` callback
registered first in that transaction) -> the instant the client process read the
frame from its socket. Both clocks are this machine's ``time.time()``.

Three processes, so none measures itself: this orchestrator (also the producer, with
in-process event dispatch and eager tasks: it plays the web + worker role), daphne,
and a client process (``--client``) holding the sockets (``websockets`` library).

Run (services profile)::

    BAZAAR_PROFILE=services DATABASE_URL=postgres://postgres@127.0.0.1:5432/bazaar_notifications \\
    REDIS_URL=redis://127.0.0.1:6379/9 DJANGO_SECRET_KEY=bench \\
    python bench/notifications_ws_bench.py --write docs/notifications-benchmark.md

It creates a throwaway database (bench_<name>), measures, and drops it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform as stdlib_platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_P99_MS = 100.0
TARGET_RSS_MB = 300.0


# --- the client process ---------------------------------------------------------------------
async def _client(
    url: str, origin: str, tokens: list[str], expected: int, out: Path, deadline: float
) -> None:
    from websockets.asyncio.client import connect

    received: dict[int, float] = {}
    handshakes: list[float] = []
    done = asyncio.Event()
    pattern = re.compile(r"bench (\d+)<")
    gate = asyncio.Semaphore(50)  # handshakes in flight
    ready = 0
    sockets = []

    async def one(token: str) -> None:
        nonlocal ready
        async with gate:
            started = time.perf_counter()
            ws = await connect(
                url, subprotocols=["bearer", token], origin=origin, open_timeout=60, max_queue=None
            )
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello", hello
            handshakes.append((time.perf_counter() - started) * 1000)
        sockets.append(ws)
        ready += 1
        async for frame in ws:
            now = time.time()
            match = pattern.search(frame)
            if match:
                received[int(match.group(1))] = now
                if len(received) >= expected:
                    done.set()

    tasks = [asyncio.create_task(one(t)) for t in tokens]
    while ready < len(tokens):
        await asyncio.sleep(0.05)
        for task in tasks:
            if task.done() and task.exception():
                raise task.exception()  # type: ignore[misc]
    print(f"READY {ready}", flush=True)
    with contextlib.suppress(TimeoutError):  # report what arrived
        await asyncio.wait_for(done.wait(), timeout=deadline)
    out.write_text(json.dumps({"received": received, "handshake_ms": handshakes}))
    print("DONE", flush=True)
    for ws in sockets:
        await ws.close()
    for task in tasks:
        task.cancel()


def client_main(args: argparse.Namespace) -> None:
    tokens = json.loads(Path(args.tokens).read_text())
    asyncio.run(
        _client(args.url, args.origin, tokens, args.expected, Path(args.out), args.deadline)
    )


# --- the orchestrator and producer ----------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url")
    parser.add_argument("--origin")
    parser.add_argument("--tokens")
    parser.add_argument("--expected", type=int, default=0)
    parser.add_argument("--out")
    parser.add_argument("--deadline", type=float, default=600.0)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=50.0, help="notifications per second")
    parser.add_argument("--write", help="write the markdown report here")
    args = parser.parse_args()
    if args.client:
        client_main(args)
        return

    sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    os.environ["BAZAAR_SITE_URL"] = base  # the token issuer daphne will expect
    os.environ["EVENT_DISPATCH"] = "inprocess"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ["EMAIL_URL"] = "dummymail://"
    os.environ["AUTH_ACCESS_TOKEN_TTL_SECONDS"] = "3600"  # noqa: S105 - a lifetime
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.notifications_bench_settings"

    import django

    django.setup()
    import requests
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test.utils import setup_databases, teardown_databases
    from django.utils import timezone

    from contexts.auth.models import CustomerStatus, Role, RoleAssignment, User
    from contexts.auth.services.tokens import access_token_issue
    from contexts.notifications import facade
    from contexts.notifications.services import delivery as delivery_module

    # Stamp the moment the delivery task hands each notification to the channel layer,
    # to split the latency into "our pipeline" and "channel layer + daphne + socket".
    pushed: dict[int, float] = {}
    original_push = delivery_module.push_to_user

    def stamped_push(user_id: Any, message: dict[str, Any]) -> None:
        match = re.search(r"bench (\d+)<", message["item"]["body_html"])
        if match:
            pushed[int(match.group(1))] = time.time()
        original_push(user_id, message)

    delivery_module.push_to_user = stamped_push

    print("creating the bench database ...", flush=True)
    old = setup_databases(verbosity=0, interactive=False)
    daphne = client = None
    work = Path(tempfile.mkdtemp(prefix="notif-bench-"))
    try:
        now = timezone.now()
        users = User.objects.bulk_create(
            [
                User(
                    email=f"bench{i}@example.test",
                    full_name=f"Bench {i}",
                    password="!",  # noqa: S106 - an unusable password
                    email_verified_at=now,
                    customer_status=CustomerStatus.ACTIVE,
                )
                for i in range(args.connections)
            ]
        )
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=u, role=Role.CUSTOMER) for u in users]
        )
        tokens = [access_token_issue(user=u)[0] for u in users]
        (work / "tokens.json").write_text(json.dumps(tokens))
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}",
        }
        env.pop("DJANGO_SETTINGS_MODULE")
        daphne = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port),
             "config.asgi:application"],
            cwd=ROOT, env=env, stdout=(work / "daphne.log").open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if daphne.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("daphne did not start:\n" + (work / "daphne.log").read_text())
            time.sleep(0.1)
        rss_start, _ = _rss_mb(daphne.pid)

        print(f"opening {args.connections} websockets ...", flush=True)
        connect_started = time.perf_counter()
        client = subprocess.Popen(
            [sys.executable, __file__, "--client", "--url", f"ws://127.0.0.1:{port}/ws/notifications/",
             "--origin", base, "--tokens", str(work / "tokens.json"), "--expected",
             str(args.messages), "--out", str(work / "received.json"),
             "--deadline", str(args.messages / args.rate * 3 + 60)],
            stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )  # fmt: skip
        assert client.stdout is not None
        line = client.stdout.readline()
        if not line.startswith("READY"):
            raise SystemExit(f"client failed: {line}")
        connect_seconds = time.perf_counter() - connect_started
        time.sleep(1.0)
        rss_connected, _ = _rss_mb(daphne.pid)

        print(f"sending {args.messages} notifications at {args.rate}/s ...", flush=True)
        load_before = Path("/proc/loadavg").read_text().split()[:3]
        committed: dict[int, float] = {}
        send_costs: list[float] = []
        interval = 1.0 / args.rate
        started = time.perf_counter()
        for i in range(args.messages):
            due = started + i * interval
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            user = users[i % len(users)]
            t0 = time.perf_counter()
            with transaction.atomic():
                transaction.on_commit(lambda i=i: committed.__setitem__(i, time.time()))
                facade.notification_send(
                    channels=["in_app"], recipient_user_id=user.pk, in_app_body=f"<p>bench {i}</p>"
                )
            send_costs.append((time.perf_counter() - t0) * 1000)
        send_seconds = time.perf_counter() - started
        line = client.stdout.readline()  # DONE (all received, or the client's timeout)
        rss_end, rss_peak = _rss_mb(daphne.pid)
        load_after = Path("/proc/loadavg").read_text().split()[:3]
        from contexts.notifications.models import Delivery

        statuses = {
            row["status"]: row["n"]
            for row in Delivery.objects.values("status").annotate(n=Count("id"))
        }
        daphne_errors = sum(
            1
            for line in (work / "daphne.log").read_text().splitlines()
            if '"level": "error"' in line
        )
        result = json.loads((work / "received.json").read_text())
        received = {int(k): v for k, v in result["received"].items()}
        latencies = [(received[i] - committed[i]) * 1000 for i in committed if i in received]
        lost = len(committed) - len(latencies)
        pipeline = [(pushed[i] - committed[i]) * 1000 for i in committed if i in pushed]
        transport = [(received[i] - pushed[i]) * 1000 for i in pushed if i in received]
        figures = {
            "connections": args.connections,
            "messages": args.messages,
            "rate_target": args.rate,
            "rate_achieved": args.messages / send_seconds,
            "connect_seconds": connect_seconds,
            "handshake_p50": statistics.median(result["handshake_ms"]),
            "handshake_p99": _pct(result["handshake_ms"], 99),
            "lost": lost,
            "p50": _pct(latencies, 50),
            "p90": _pct(latencies, 90),
            "p99": _pct(latencies, 99),
            "max": max(latencies),
            "pipeline_p50": _pct(pipeline, 50),
            "pipeline_p99": _pct(pipeline, 99),
            "transport_p50": _pct(transport, 50),
            "transport_p99": _pct(transport, 99),
            "send_p50": statistics.median(send_costs),
            "rss_start": rss_start,
            "rss_connected": rss_connected,
            "rss_end": rss_end,
            "rss_peak": rss_peak,
            "load_before": " ".join(load_before),
            "load_after": " ".join(load_after),
            "deliveries": statuses,
            "daphne_errors": daphne_errors,
        }
    finally:
        for proc in (client, daphne):
            if proc is not None and proc.poll() is None:
                if proc is daphne:
                    os.killpg(proc.pid, signal.SIGTERM)
                else:
                    proc.terminate()
                proc.wait(timeout=20)
        teardown_databases(old, verbosity=0)
    report = render(figures, settings)
    print(report)
    if args.write:
        Path(args.write).write_text(report)


def render(f: dict[str, Any], settings: Any) -> str:
    command = (
        "BAZAAR_PROFILE=services DATABASE_URL=postgres://postgres@127.0.0.1:5432/bazaar_notifications "
        "REDIS_URL=redis://127.0.0.1:6379/9 DJANGO_SECRET_KEY=bench "
        "python bench/notifications_ws_bench.py --write docs/notifications-benchmark.md"
    )
    met_p99 = "yes" if f["p99"] < TARGET_P99_MS else "**no**"
    met_rss = "yes" if f["rss_peak"] < TARGET_RSS_MB else "**no**"
    return f"""# Notifications benchmark: websocket delivery latency and ASGI memory

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on this machine ({os.cpu_count()} cores, Python {stdlib_platform.python_version()}, PostgreSQL, Redis channel layer `{settings.CHANNEL_LAYERS["default"]["BACKEND"]}`), one run.

Command:

```
{command}
```

Set-up: {f["connections"]:,} users, each with one open `/ws/notifications/` socket on **one daphne
process**; {f["messages"]:,} in-app notifications sent round-robin at a target of {f["rate_target"]:.0f}/s
(achieved {f["rate_achieved"]:.1f}/s) through `notifications.facade.notification_send` (the
`notifications.send_requested` command through the outbox, its handler, the delivery task, the
Redis channel layer). Latency runs from the commit of the command's transaction to the moment the
client process read the frame. The producer runs in-process dispatch with eager tasks (it plays the
web and worker role); daphne only holds the sockets; the client is a third process.

| figure | value | target | met |
|---|---:|---:|:---:|
| delivery latency p50 | {f["p50"]:.1f} ms | | |
| delivery latency p90 | {f["p90"]:.1f} ms | | |
| delivery latency p99 | {f["p99"]:.1f} ms | < {TARGET_P99_MS:.0f} ms | {met_p99} |
| delivery latency max | {f["max"]:.1f} ms | | |
| of which commit -> `group_send` (handler, delivery task) p50 / p99 | {f["pipeline_p50"]:.1f} / {f["pipeline_p99"]:.1f} ms | | |
| of which `group_send` -> frame read by the client p50 / p99 | {f["transport_p50"]:.1f} / {f["transport_p99"]:.1f} ms | | |
| notifications lost | {f["lost"]} | 0 | {"yes" if f["lost"] == 0 else "**no**"} |
| delivery rows by status | {", ".join(f"{k}: {v}" for k, v in sorted(f["deliveries"].items()))} | | |
| errors logged by daphne | {f["daphne_errors"]} | 0 | {"yes" if f["daphne_errors"] == 0 else "**no**"} |
| daphne RSS, no sockets | {f["rss_start"]:.0f} MB | | |
| daphne RSS, {f["connections"]:,} sockets open | {f["rss_connected"]:.0f} MB | | |
| daphne RSS at the end / peak (VmHWM) | {f["rss_end"]:.0f} / {f["rss_peak"]:.0f} MB | < {TARGET_RSS_MB:.0f} MB | {met_rss} |
| opening {f["connections"]:,} sockets (50 handshakes in flight) | {f["connect_seconds"]:.1f} s | | |
| handshake + `hello` frame p50 / p99 | {f["handshake_p50"]:.1f} / {f["handshake_p99"]:.1f} ms | | |
| producer: one `notification_send` incl. handler, delivery and push, p50 | {f["send_p50"]:.1f} ms | | |

Notes:

* What the latency includes: after the commit, the outbox relay's after-commit drain, the
  in-process dispatch of the command to its handler (inbox record, validation, the notification,
  its delivery row and inbox item, one commit), the delivery task (row lock, unread count, one
  `group_send` to Redis, the attempt row, one commit), then channels-redis delivering to the
  consumer in daphne, the consumer's per-push checks (token expiry, account status from the
  process-memory cache) and the frame over loopback.
* With `EVENT_DISPATCH=celery` (production) a Celery hop over RabbitMQ is added between commit and
  handler, and another between handler and delivery task (each ~1-2 ms at these rates on this
  machine, see the broker figures in the stack guide), plus the worker's queueing under load.
* The machine has 2 cores shared by PostgreSQL, Redis, daphne, the producer and the client
  (and, during this run, by whatever else ran: load average {f["load_before"]} before sending,
  {f["load_after"]} after).
"""


if __name__ == "__main__":
    main()
