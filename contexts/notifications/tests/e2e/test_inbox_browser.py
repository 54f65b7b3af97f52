"""The inbox page in headless Chromium against a real daphne process (services profile:
PostgreSQL, the Redis channel layer, in-process events): a customer signs in, others do
something that notifies them, and each notification appears without a reload.

The triggers: the vendor ships the customer's paid order through the orders API
(``orders.vendor_order_shipped`` -> the ``order_shipped`` reaction); an admin grants a
role through the auth API (``auth.role_granted``); staff send a message through
``POST /api/v1/notifications/messages`` (the ``notifications.send_requested`` command).
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
from tests.support import orders as shop_support

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
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass  # not listening yet, or too busy to answer in time: ask again
            if time.monotonic() > deadline:
                pytest.fail(f"daphne did not start: {log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


def _session(base: str, email: str, password: str = PASSWORD) -> requests.Session:
    session = requests.Session()
    login = session.post(f"{base}/api/v1/auth/login", json={"email": email, "password": password})
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
    admin = _session(live_daphne, admin_email)
    ARTIFACTS.mkdir(exist_ok=True)

    # The customer bought a phone; it is paid, and the vendor has packed it.
    settings.PAYMENTS_GATEWAY = "sandbox"
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.PAYMENTS_SANDBOX_WEBHOOK_SECRET = ""
    settings.PAYMENTS_SANDBOX_WEBHOOK_URL = ""
    shop = shop_support.make_shop()
    listing = shop_support.make_listing(shop, stock=3, name="Acme Phone X")
    order = shop_support.pay_order(
        shop_support.place_order(customer_user_id=customer_id, lines=[(listing, 1)])
    )
    vendor_order = order.vendor_orders.get()
    shop_support.fulfil([vendor_order], until="packed")
    vendor = _session(live_daphne, shop.owner_email, shop_support.PASSWORD)

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
            # The welcome from registration, the order placed, the order confirmed.
            expect(items).to_have_count(3)
            expect(items.last).to_contain_text("Welcome to Bazaar, Carla <b>Customer</b>!")
            expect(page.locator("#badge")).to_have_text("3")
            page.evaluate("window.__noReload = true")

            # 1. The vendor ships the order: orders.vendor_order_shipped -> a reaction.
            shipped = vendor.post(
                f"{live_daphne}/api/v1/orders/vendor/orders/{vendor_order.pk}/ship",
                json={"carrier": "La Poste", "tracking_number": "LP123456789FR"},
            )
            assert shipped.status_code == 200, shipped.text
            expect(items).to_have_count(4, timeout=10_000)
            expect(items.first).to_contain_text("1 x Acme Phone X")
            expect(items.first).to_contain_text("left the seller with La Poste")
            expect(items.first).to_contain_text("LP123456789FR")
            expect(items.first).to_have_class("unread")
            expect(page.locator("#badge")).to_have_text("4")

            # 2. An admin grants the vendor role: auth.role_granted -> a reaction.
            granted = admin.post(
                f"{live_daphne}/api/v1/auth/users/{customer_id}/roles", json={"role": "vendor"}
            )
            assert granted.status_code == 200, granted.text
            expect(items).to_have_count(5, timeout=10_000)
            expect(items.first).to_contain_text("Your vendor account is active.")
            expect(page.locator("#badge")).to_have_text("5")

            # 3. Staff send a message: the notifications.send_requested command.
            sent = admin.post(
                f"{live_daphne}/api/v1/notifications/messages",
                json={
                    "channels": ["in_app"],
                    "recipient_user_id": str(customer_id),
                    "in_app_body": "<p><b>Maintenance</b> tonight<script>alert(1)</script></p>",
                },
            )
            assert sent.status_code == 202, sent.text
            expect(items).to_have_count(6, timeout=10_000)
            expect(items.first).to_contain_text("Maintenance tonight")
            expect(page.locator("#badge")).to_have_text("6")
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
