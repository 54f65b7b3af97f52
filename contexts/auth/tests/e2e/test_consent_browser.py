"""The consent page in a real browser: headless Chromium (Debian's) driven by Playwright.

A user signs in, reads the consent page (screenshot saved to
``artifacts/oauth-consent.png``), clicks Allow and lands on the client's callback, a
real HTTP server on a loopback port (http is allowed there, RFC 8252). The client then
exchanges the code. Playwright's sync API needs a thread without an asyncio loop: this
is a plain test.
"""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from contexts.auth.tests.e2e.conftest import Provider
from contexts.auth.tests.oauth_support import authorize_params, make_app, pkce
from contexts.auth.tests.support import http_server

pytestmark = [pytest.mark.e2e]
REPO = Path(__file__).resolve().parents[4]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Callback(BaseHTTPRequestHandler):
    """The third-party client's redirect endpoint: records what the browser brings."""

    received: list[str] = []
    arrived = threading.Event()

    def do_GET(self) -> None:
        Callback.received.append(self.path)
        Callback.arrived.set()
        body = b"<!doctype html><title>Acme</title><h1 id='done'>Back at Acme Orders</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_user_approves_the_consent_page_in_chromium(provider: Provider) -> None:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    Callback.received, Callback.arrived = [], threading.Event()
    with http_server(Callback) as client_base:
        redirect_uri = f"{client_base}/callback"
        owner = provider.app.application.user
        app = make_app(owner, name="Acme Orders", redirect_uris=[redirect_uri])
        verifier, challenge = pkce()
        params = authorize_params(
            app,
            scope="openid profile orders:read vendor:manage",
            challenge=challenge,
            redirect_uri=redirect_uri,
        )
        url = f"{provider.url}/o/authorize/?{urlencode(params)}"
        artifacts = REPO / "artifacts"
        artifacts.mkdir(exist_ok=True)
        screenshot = artifacts / "oauth-consent.png"
        screenshot.unlink(missing_ok=True)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 900, "height": 900})
                page.goto(url)
                # No session yet: the log-in page first.
                assert page.url.startswith(f"{provider.url}/o/login/")
                page.fill("#email", provider.user.email)
                page.fill("#password", provider.password)
                page.click("#sign-in")
                page.wait_for_selector("#consent-title")
                assert page.inner_text("#consent-title") == (
                    "Acme Orders wants to access your Bazaar account"
                )
                assert page.inner_text("#app-owner") == "Published by Olga Owner"
                granted = page.locator("#granted-scopes li").evaluate_all(
                    "items => items.map(i => i.dataset.scope)"
                )
                assert granted == ["openid", "profile", "orders:read"]
                assert "vendor:manage" in page.inner_text("#withheld-scopes")  # not a vendor
                allow = page.locator("#allow")
                assert allow.is_visible()
                colours = allow.evaluate(
                    "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
                )
                assert colours[0] != colours[1], colours  # the button's label can be read
                page.screenshot(path=str(screenshot), full_page=True)
                page.click("#allow")
                page.wait_for_selector("#done")
                landed = page.url
            finally:
                browser.close()

    assert screenshot.stat().st_size > 10_000  # a real rendering, kept as an artefact
    assert Callback.received and Callback.received[0].startswith("/callback?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(landed).query).items()}
    assert query["state"] == params["state"]
    assert query["iss"] == provider.url
    token = requests.post(
        f"{provider.url}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": app.client_id,
            "client_secret": app.secret,
        },
        timeout=10,
    )
    assert token.status_code == 200
    assert token.json()["scope"] == "openid profile orders:read"
