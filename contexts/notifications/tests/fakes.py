"""Local stand-ins for third parties, speaking their real protocols.

* :class:`FakeTwilio`: an HTTP server implementing the part of Twilio's REST API we
  use (``POST /2010-04-01/Accounts/{sid}/Messages.json``, form-encoded, HTTP basic
  auth), including its error JSON (``code``/``message``/``more_info``/``status``).
* :class:`SmtpServer`: a real SMTP server (aiosmtpd) on a free local port, recording
  what it receives; recipients can be refused with any reply code.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller

TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "test-auth-token"
# Twilio's own "magic" test number that its test credentials answer with error 21211.
INVALID_NUMBER = "+15005550001"


@dataclass
class FakeTwilio:
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Answer the next N requests with 503 (a Twilio outage), then behave.
    fail_next: int = 0

    def error(self, status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
        return status, {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }

    def answer(self, path: str, auth: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        expected_path = f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
        if path != expected_path:
            return self.error(404, 20404, f"The requested resource {path} was not found")
        expected_auth = (
            "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        )
        if auth != expected_auth:
            return self.error(401, 20003, "Authenticate")
        if self.fail_next > 0:
            self.fail_next -= 1
            return self.error(503, 20500, "Internal Server Error")
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not body:
            return self.error(400, 21602, "Message body is required.")
        if not to.startswith("+") or not to[1:].isdigit() or to == INVALID_NUMBER:
            return self.error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        sid = "SM" + secrets.token_hex(16)
        return 201, {
            "sid": sid,
            "account_sid": TWILIO_SID,
            "to": to,
            "from": sender,
            "body": body,
            "status": "queued",
            "num_segments": "1",
            "api_version": "2010-04-01",
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{TWILIO_SID}/Messages/{sid}.json",
        }


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            fake.requests.append(
                {"path": self.path, "form": form, "content_type": self.headers.get("Content-Type")}
            )
            status, payload = fake.answer(self.path, self.headers.get("Authorization", ""), form)
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    # address -> SMTP reply to RCPT TO, e.g. "550 5.1.1 No such user"
    refuse: dict[str, str] = field(default_factory=dict)
    # refuse these many whole sessions with a 421 at DATA (a busy server), then accept
    busy_next: int = 0


class _Handler:
    def __init__(self, box: SmtpServer) -> None:
        self.box = box

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.box.refuse:
            return self.box.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.box.busy_next > 0:
            self.box.busy_next -= 1
            return "451 4.3.2 Try again later"
        self.box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.box.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(port: int) -> Iterator[SmtpServer]:
    box = SmtpServer(host="127.0.0.1", port=port)
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
