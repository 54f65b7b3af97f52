"""Boot the embedded default exactly as the README's first command does.

A fresh SQLite file, a real server process on a free port, no services: health,
docs and a demo login must work.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.e2e

SERVICE_VARS = {
    "BAZAAR_PROFILE",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "EVENT_DISPATCH",
    "EVENT_BROKER",
    "EVENT_BROKER_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_SECURE_SSL_REDIRECT",
    "PYTHONPATH",
    "DJANGO_SETTINGS_MODULE",
}


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    local_dir = tmp_path_factory.mktemp("embedded")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    # The install step already ran (the test command installed the same stack).
    env.update(BAZAAR_SKIP_INSTALL="1", BAZAAR_LOCAL_DIR=str(local_dir), PORT=str(port))
    log = (local_dir / "server.log").open("w")
    proc = subprocess.Popen(
        ["make", "-s", "demo"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    # install + migrate + the whole demo seed on SQLite: ~75 s alone, far more when the
    # other xdist worker loads the same 2 cores
    deadline = time.monotonic() + 300
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"the embedded server exited: {(local_dir / 'server.log').read_text()[-3000:]}"
                )
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    "the embedded server did not become healthy within 300 s: "
                    + (local_dir / "server.log").read_text()[-3000:]
                )
            time.sleep(0.2)
        yield base, local_dir
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def test_fresh_sqlite_file_and_printed_logins(embedded_server):
    _, local_dir = embedded_server
    assert (local_dir / "bazaar.sqlite3").stat().st_size > 0
    output = (local_dir / "server.log").read_text()
    assert "login: admin@bazaar.local / " in output
    assert re.search(r"http://127\.0\.0\.1:\d+/", output)


def test_health_and_readiness(embedded_server):
    base, _ = embedded_server
    assert requests.get(f"{base}/healthz", timeout=5).json()["data"]["status"] == "ok"
    ready = requests.get(f"{base}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["data"]["checks"] == ["cache", "database"]


def test_api_docs_and_their_assets_are_served_locally(embedded_server):
    base, _ = embedded_server
    docs = requests.get(f"{base}/api/docs/", timeout=5)
    assert docs.status_code == 200
    assets = re.findall(r'src="(/static/[^"]+\.js)"', docs.text)
    assert assets, "Swagger UI should load its assets from our own static files"
    assert all(requests.get(f"{base}{a}", timeout=5).status_code == 200 for a in assets)
    schema = requests.get(f"{base}/api/schema/?format=json", timeout=5)
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")


def test_demo_admin_can_log_in(embedded_server):
    base, _ = embedded_server
    session = requests.Session()
    login_page = session.get(f"{base}/admin/login/", timeout=5)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text)
    assert token
    response = session.post(
        f"{base}/admin/login/?next=/admin/",
        data={
            "csrfmiddlewaretoken": token.group(1),
            "username": "admin@bazaar.local",
            "password": "bazaar-demo-2026",
            "next": "/admin/",
        },
        headers={"Referer": f"{base}/admin/login/"},
        timeout=10,
    )
    assert response.status_code == 200
    assert "Site administration" in response.text


def test_demo_customer_logs_in_through_the_api(embedded_server):
    base, _ = embedded_server
    login = requests.post(
        f"{base}/api/v1/auth/login",
        json={"email": "customer@bazaar.local", "password": "bazaar-demo-2026"},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    access = login.json()["data"]["access_token"]
    me = requests.get(
        f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"}, timeout=5
    )
    assert me.status_code == 200
    assert me.json()["data"]["email"] == "customer@bazaar.local"
    jwks = requests.get(f"{base}/.well-known/jwks.json", timeout=5).json()
    assert jwks["keys"]
    assert all("d" not in key for key in jwks["keys"]), (
        "private key material must never be published"
    )
