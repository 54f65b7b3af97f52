"""The sandbox flow on the embedded default as a user runs it: SQLite, Celery eager,
daphne (ASGI, where synchronous views share one thread). The tester's approval must
reach our webhook endpoint over HTTP without deadlocking the server, and the payment
must end up succeeded, seen through the API by a staff account."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.e2e

STAFF_PASSWORD = "embedded-e2e-Staff-1"
SERVICE_VARS = {
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "EVENT_DISPATCH",
    "EVENT_BROKER",
    "EVENT_BROKER_URL",
    "DJANGO_SETTINGS_MODULE",
}


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    local = tmp_path_factory.mktemp("payments-embedded")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env.update(
        BAZAAR_PROFILE="embedded",
        BAZAAR_LOCAL_DIR=str(local),
        BAZAAR_SITE_URL=base,
        PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'platform'}",
    )
    env.pop("DJANGO_SECRET_KEY", None)  # the embedded default generates its own
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT, capture_output=True)
    log = (local / "daphne.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still loading
                pass
            assert server.poll() is None, Path(local / "daphne.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "daphne did not start"
            time.sleep(0.2)
        yield base, env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _payment_link(env: dict[str, str], key: str) -> tuple[str, str]:
    """Another context's call of the facade, in its own process against the same SQLite."""
    code = (
        "import uuid\n"
        "from contexts.auth import facade as auth\n"
        "from contexts.payments import facade\n"
        "staff = auth.user_create_or_get(email='staff@example.com', full_name='Staff',"
        f" password={STAFF_PASSWORD!r})\n"
        "auth.role_grant(user_id=staff, role='admin')\n"
        "link = facade.payment_link_create(purpose='order', reference_id=uuid.uuid4(),"
        " amount_minor=1234, currency='USD', description='Embedded demo',"
        f" payer_email='customer@bazaar.local', idempotency_key={key!r})\n"
        "print('LINK', link.payment_id, link.url)\n"
    )
    out = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-v", "0", "-c", code],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"^LINK (\S+) (\S+)$", out, re.MULTILINE)
    assert match is not None, out
    return match.group(1), match.group(2)


def test_approval_on_the_embedded_server_pays_through_its_own_webhook(embedded):
    base, env = embedded
    payment_id, url = _payment_link(env, "embedded-e2e-1")
    assert url.startswith(f"{base}/api/v1/payments/sandbox/")
    with requests.Session() as browser:
        page = browser.get(url, timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token is not None
        started = time.monotonic()
        decided = browser.post(
            f"{url}/decision",
            data={"csrfmiddlewaretoken": token.group(1), "decision": "approve"},
            headers={"Referer": url},
            allow_redirects=False,
            timeout=10,
        )
        assert decided.status_code == 302
        assert time.monotonic() - started < 5  # the webhook is not delivered inline

        login = browser.post(
            f"{base}/api/v1/auth/login",
            json={"email": "staff@example.com", "password": STAFF_PASSWORD},
            timeout=10,
        )
        assert login.status_code == 200, login.text
        bearer = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
        deadline = time.monotonic() + 20
        while True:
            payment = browser.get(
                f"{base}/api/v1/payments/{payment_id}", headers=bearer, timeout=10
            )
            assert payment.status_code == 200, payment.text
            if payment.json()["data"]["status"] == "succeeded":
                break
            assert time.monotonic() < deadline, payment.text
            time.sleep(0.1)
    assert payment.json()["data"]["amount_minor"] == 1234
