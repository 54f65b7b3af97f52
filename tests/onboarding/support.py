"""Helpers of the end-to-end onboarding tests: a plain HTTP client of the running server."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import requests

PASSWORD = "Qz7!mango-Tulip-93"
T = TypeVar("T")


def wait_for(
    condition: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.1, what: str = ""
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(interval)


class Http:
    """A JSON API client over real HTTP (``requests``), envelope-aware."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.session = requests.Session()
        self.token = ""

    def close(self) -> None:
        self.session.close()

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> requests.Response:
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.session.request(
            method, f"{self.base}{path}", json=body, headers=headers, timeout=30
        )

    def data(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        response = self.call(method, path, body, **headers)
        assert response.status_code < 400, (response.status_code, response.text[:2000])
        return response.json()["data"]

    def register(
        self, *, plan: str = "growth", currency: str = "EUR", key: str | None = None
    ) -> tuple[dict[str, Any], dict[str, Any], str]:
        tag = f"e{uuid.uuid4().hex[:10]}"
        body = {
            "email": f"{tag}@example.test",
            "full_name": "Erin End-to-end",
            "password": PASSWORD,
            "legal_name": f"{tag} SAS",
            "plan": plan,
            "store": {"name": f"Shop {tag}", "slug": tag, "currency": currency},
        }
        key = key or str(uuid.uuid4())
        response = self.call("POST", "/api/v1/vendors/register", body, **{"Idempotency-Key": key})
        assert response.status_code == 201, response.text[:2000]
        return response.json()["data"], body, key

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.token = ""
        self.token = self.data(
            "POST", "/api/v1/auth/login", {"email": email, "password": password}
        )["access_token"]


def sandbox_decide(url: str, decision: str = "approve") -> requests.Response:
    """Play the payer on the sandbox's hosted page: open it, submit the decision form."""
    with requests.Session() as browser:
        page = browser.get(url, timeout=30)
        assert page.status_code == 200, page.text[:1000]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        form = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert token is not None
        assert form is not None
        return browser.post(
            requests.compat.urljoin(url, form.group(1)),
            data={"csrfmiddlewaretoken": token.group(1), "decision": decision},
            headers={"Referer": url},
            allow_redirects=False,
            timeout=30,
        )
