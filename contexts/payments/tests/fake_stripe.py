"""A local fake of the Stripe HTTP API, for the Stripe adapter's tests.

A real HTTP server in a thread that speaks the part of Stripe's v1 API the adapter
uses, the way Stripe does: form-encoded requests with bracketed nested keys,
``Authorization: Bearer <secret key>``, ``Idempotency-Key`` replay (and the
idempotency error for a reused key with other parameters), Stripe-shaped JSON
objects, and Stripe's error objects (``{"error": {"type", "code", "message",
"param"}}``) with their HTTP statuses.

    POST /v1/checkout/sessions        GET /v1/checkout/sessions/:id       POST /v1/refunds

Test helpers play the customer and Stripe's webhook sender: ``pay()`` completes a
session, ``event()`` builds a webhook event and ``sign()`` the ``Stripe-Signature``
header (HMAC-SHA256 over ``"<t>.<payload>"``, written here independently of the SDK).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

API_KEY = "sk_test_fake_bazaar"
WEBHOOK_SECRET = "whsec_fake_bazaar"
_MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30}


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding: ``a[b][0][c]=v`` -> ``{"a": {"b": [{"c": "v"}]}}``."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            nxt = parts[index + 1] if not last else None
            container: Any = [] if nxt is not None and nxt.isdigit() else {}
            if isinstance(node, list):
                position = int(part)
                while len(node) <= position:
                    node.append({} if not last else None)
                if last:
                    node[position] = value
                else:
                    if not node[position]:
                        node[position] = container
                    node = node[position]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, container)
    return root


class StripeError(Exception):
    def __init__(self, status: int, type_: str, message: str, code: str = "", param: str = ""):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type_, "message": message}}
        if code:
            self.body["error"]["code"] = code
        if param:
            self.body["error"]["param"] = param


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, Any]


@dataclass
class FakeStripe:
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    #: HTTP statuses to answer the next requests with (an api_error), before any work.
    fail_next: list[int] = field(default_factory=list)
    #: the status new refunds get ("succeeded", or "pending" as for some methods)
    refund_status: str = "succeeded"
    _idempotency: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    url: str = ""

    # --- lifecycle -----------------------------------------------------------------
    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- the customer and the webhook sender ---------------------------------------
    def pay(self, session_id: str) -> dict[str, Any]:
        """The customer paid on Stripe's page: the session completes with a PaymentIntent."""
        with self._lock:
            session = self.sessions[session_id]
            session.update(
                status="complete",
                payment_status="paid",
                payment_intent=f"pi_{uuid.uuid4().hex[:24]}",
            )
            return dict(session)

    def event(self, type_: str, obj: dict[str, Any], event_id: str | None = None) -> str:
        return json.dumps(
            {
                "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
                "object": "event",
                "api_version": "2025-01-27.acacia",
                "created": int(time.time()),
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": type_,
                "data": {"object": obj},
            }
        )

    @staticmethod
    def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
        t = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
        return f"t={t},v1={mac}"

    # --- the API -------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        path, _, query = handler.path.partition("?")
        params = decode_form(raw if method == "POST" else query)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(Recorded(method, path, headers, params))
            status, body, extra = self._respond(method, path, params, headers)
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Request-Id", f"req_{uuid.uuid4().hex[:14]}")
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def _respond(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.fail_next:
            status = self.fail_next.pop(0)
            return (
                status,
                {"error": {"type": "api_error", "message": "An unknown error occurred."}},
                {"Stripe-Should-Retry": "false"},
            )
        if headers.get("authorization") != f"Bearer {API_KEY}":
            return (
                401,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "message": "Invalid API Key provided.",
                    }
                },
                {},
            )
        key = headers.get("idempotency-key", "")
        fingerprint = json.dumps([method, path, params], sort_keys=True)
        if method == "POST" and key:
            seen = self._idempotency.get(key)
            if seen is not None:
                if seen[0] != fingerprint:
                    return (
                        400,
                        {
                            "error": {
                                "type": "idempotency_error",
                                "message": "Keys for idempotent requests can only be used with "
                                "the same parameters they were first used with.",
                            }
                        },
                        {},
                    )
                return seen[1], seen[2], {"Idempotent-Replayed": "true"}
        try:
            status, body = 200, self._route(method, path, params)
        except StripeError as failure:
            status, body = failure.status, failure.body
        if method == "POST" and key:
            self._idempotency[key] = (fingerprint, status, body)
        return status, body, {}

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._session_create(params)
        match = re.fullmatch(r"/v1/checkout/sessions/([^/]+)", path)
        if method == "GET" and match:
            session = self.sessions.get(match.group(1))
            if session is None:
                raise StripeError(
                    404,
                    "invalid_request_error",
                    f"No such checkout.session: '{match.group(1)}'",
                    code="resource_missing",
                    param="session",
                )
            return dict(session)
        if method == "POST" and path == "/v1/refunds":
            return self._refund_create(params)
        raise StripeError(
            404, "invalid_request_error", f"Unrecognized request URL ({method}: {path})."
        )

    def _session_create(self, params: dict[str, Any]) -> dict[str, Any]:
        for required in ("mode", "success_url", "line_items"):
            if not params.get(required):
                raise StripeError(
                    400,
                    "invalid_request_error",
                    f"Missing required param: {required}.",
                    code="parameter_missing",
                    param=required,
                )
        item = params["line_items"][0]
        price = item["price_data"]
        currency = price["currency"]
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise StripeError(
                400,
                "invalid_request_error",
                f"Invalid currency: {currency}.",
                code="parameter_invalid_string",
                param="line_items[0][price_data][currency]",
            )
        amount = int(price["unit_amount"]) * int(item.get("quantity", "1"))
        if amount < _MINIMUM_CHARGE.get(currency, 1):
            raise StripeError(
                400,
                "invalid_request_error",
                "The Checkout Session's total amount due must add up to at least $0.50 usd",
                code="amount_too_small",
                param="line_items[0][price_data][unit_amount]",
            )
        session_id = f"cs_test_{uuid.uuid4().hex}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": amount,
            "amount_total": amount,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": int(time.time()),
            "currency": currency,
            "customer_email": params.get("customer_email"),
            "expires_at": int(time.time()) + 86400,
            "livemode": False,
            "metadata": params.get("metadata", {}),
            "mode": params["mode"],
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return dict(session)

    def _refund_create(self, params: dict[str, Any]) -> dict[str, Any]:
        intent = params.get("payment_intent")
        session = next(
            (s for s in self.sessions.values() if intent and s["payment_intent"] == intent), None
        )
        if session is None:
            raise StripeError(
                400,
                "invalid_request_error",
                f"No such payment_intent: '{intent}'",
                code="resource_missing",
                param="payment_intent",
            )
        refunded = sum(
            r["amount"]
            for r in self.refunds.values()
            if r["payment_intent"] == intent and r["status"] != "failed"
        )
        amount = int(params.get("amount") or session["amount_total"] - refunded)
        if amount > session["amount_total"] - refunded:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount on charge.",
                code="amount_too_large",
                param="amount",
            )
        refund_id = f"re_{uuid.uuid4().hex[:24]}"
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "created": int(time.time()),
            "currency": session["currency"],
            "metadata": params.get("metadata", {}),
            "payment_intent": intent,
            "reason": params.get("reason"),
            "status": self.refund_status,
        }
        self.refunds[refund_id] = refund
        return dict(refund)
