"""Local fake OAuth providers: real HTTP servers in a thread, speaking GitHub's and Google's
protocol.

GitHub: ``/login/oauth/authorize`` (redirects back with ``code`` and ``state``),
``/login/oauth/access_token`` (code exchange; checks the client, the redirect URI
and the PKCE verifier against the S256 challenge), ``/user`` and ``/user/emails``.
Google: ``/o/oauth2/v2/auth``, ``/token``, ``/v1/userinfo``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"


@dataclass
class FakeProviderState:
    #: who "logs in" at the next authorize request
    user: dict[str, Any] = field(default_factory=dict)
    emails: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def _handler(state: FakeProviderState, *, flavour: str) -> type[BaseHTTPRequestHandler]:
    authorize_path = "/login/oauth/authorize" if flavour == "github" else "/o/oauth2/v2/auth"
    token_path = "/login/oauth/access_token" if flavour == "github" else "/token"

    class Handler(BaseHTTPRequestHandler):
        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _bearer(self) -> dict[str, Any] | None:
            header = self.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() not in {"bearer", "token"}:
                return None
            return state.tokens.get(token)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == authorize_path:
                state.authorize_requests.append(query)
                if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                    self._json(400, {"error": "invalid_request"})
                    return
                if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                    self._json(
                        400, {"error": "invalid_request", "error_description": "PKCE required"}
                    )
                    return
                code = secrets.token_urlsafe(16)
                with state.lock:
                    state.codes[code] = {
                        "challenge": query["code_challenge"],
                        "redirect_uri": query["redirect_uri"],
                        "user": dict(state.user),
                        "emails": list(state.emails),
                    }
                location = (
                    query["redirect_uri"]
                    + "?"
                    + urlencode({"code": code, "state": query.get("state", "")})
                )
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            grant = self._bearer()
            if grant is None:
                self._json(401, {"message": "Bad credentials"})
            elif flavour == "github" and url.path == "/user":
                self._json(200, grant["user"])
            elif flavour == "github" and url.path == "/user/emails":
                self._json(200, grant["emails"])
            elif flavour == "google" and url.path == "/v1/userinfo":
                self._json(200, grant["user"])
            else:
                self._json(404, {"message": "Not Found"})

        def do_POST(self) -> None:
            if urlsplit(self.path).path != token_path:
                self._json(404, {"message": "Not Found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            auth = self.headers.get("Authorization", "")
            if auth.lower().startswith("basic "):
                client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
            with state.lock:
                state.exchanges.append(form)
                grant = state.codes.pop(form.get("code", ""), None)  # codes are single-use
            if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
                self._json(401, {"error": "invalid_client"})
            elif grant is None or form.get("grant_type") != "authorization_code":
                self._json(400, {"error": "bad_verification_code"})
            elif form.get("redirect_uri") != grant["redirect_uri"]:
                self._json(400, {"error": "redirect_uri_mismatch"})
            elif s256(form.get("code_verifier", "")) != grant["challenge"]:
                self._json(
                    400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
                )
            else:
                token = secrets.token_urlsafe(20)
                state.tokens[token] = grant
                self._json(
                    200,
                    {
                        "access_token": token,
                        "token_type": "bearer",
                        "scope": "read:user,user:email",
                    },
                )

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def fake_provider(flavour: str) -> Iterator[tuple[str, FakeProviderState]]:
    state = FakeProviderState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, flavour=flavour))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
