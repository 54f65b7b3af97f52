"""The inbox page in headless Chromium against a real daphne process (services profile:
PostgreSQL, the Redis channel layer, in-process events): a user signs in, staff do
something that notifies them, and the notification appears without a reload.

Orders do not exist yet, so the triggers are the most real ones available: an admin
grants the vendor role through the auth API (``auth.role_granted`` -> the
``vendor_role_granted`` reaction), and staff send a message through
``POST /api/v1/notifications/messages`` (the ``notifications.send_requested``
command). The order-shipped trigger is wired when the orders context lands.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.db import connection

from contexts.notifications.tests.conftest import PASSWORD, _signing_pem, make_user, new_email
from tests.conftest import ROOT, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_daphne(tmp_path: Path) -> Iterator[str]:
    """daphne serving config.asgi on a free port, on this test's database."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "BAZAAR_PROFILE": "services",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": f"e2e-{port}",
        "EVENT_DISPATCH": "inprocess",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "EMAIL_URL": "dummymail://",
        "BAZAAR_SITE_URL": base,
        "AUTH_SIGNING_KEY_PEM": _signing_pem(),
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "LOG_FORMAT": "json",
        "PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log_path = tmp_path / "daphne.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
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
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"daphne exited: {log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"daphne did not start: {log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


def _admin_session(base: str, email: str) -> requests.Session:
    session = requests.Session()
    login = session.post(f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    session.headers["Authorization"] = f"Bearer {login.json()['data']['access_token']}"
    return session


def test_a_notification_appears_live_in_the_inbox_page(live_daphne: str, settings: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    # The server checks passwords with the real hashers: hash them the same way here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    customer_email, admin_email = new_email(), new_email()
    customer_id = make_user(email=customer_email, full_name="Carla <b>Customer</b>")
    make_user(email=admin_email, role="admin")
    admin = _admin_session(live_daphne, admin_email)
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            errors: list[Any] = []
            page.on("pageerror", lambda error: errors.append(error))
            page.goto(f"{live_daphne}/notifications/")
            page.fill("#email", customer_email)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")

            expect(page.locator("#status")).to_have_text("live", timeout=15_000)
            expect(page.locator("#login")).to_be_hidden()
            items = page.locator("#items li")
            expect(items).to_have_count(1)  # the welcome from registration
            expect(items.first).to_contain_text("Welcome to Bazaar, Carla <b>Customer</b>!")
            expect(page.locator("#badge")).to_have_text("1")
            page.evaluate("window.__noReload = true")

            # 1. An admin grants the vendor role: auth.role_granted -> a reaction.
            granted = admin.post(
                f"{live_daphne}/api/v1/auth/users/{customer_id}/roles", json={"role": "vendor"}
            )
            assert granted.status_code == 200, granted.text
            expect(items).to_have_count(2, timeout=10_000)
            expect(items.first).to_contain_text("Your vendor account is active.")
            expect(items.first).to_have_class("unread")
            expect(page.locator("#badge")).to_have_text("2")

            # 2. Staff send a message: the notifications.send_requested command.
            sent = admin.post(
                f"{live_daphne}/api/v1/notifications/messages",
                json={
                    "channels": ["in_app"],
                    "recipient_user_id": str(customer_id),
                    "in_app_body": "<p><b>Maintenance</b> tonight<script>alert(1)</script></p>",
                },
            )
            assert sent.status_code == 202, sent.text
            expect(items).to_have_count(3, timeout=10_000)
            expect(items.first).to_contain_text("Maintenance tonight")
            expect(page.locator("#badge")).to_have_text("3")
            assert page.evaluate("window.__noReload") is True  # no reload happened
            assert page.locator("#items li script").count() == 0

            page.screenshot(path=str(ARTIFACTS / "notifications-inbox.png"), full_page=True)

            # Reading everything clears the badge.
            page.click("#mark-all")
            expect(page.locator("#badge")).to_be_hidden()
            expect(page.locator("#items li.unread")).to_have_count(0)
            assert errors == []
        finally:
            browser.close()
