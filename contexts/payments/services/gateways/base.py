"""The payment gateway interface every adapter implements.

Three operations, as every hosted-checkout gateway offers them: create a checkout
session (a hosted payment page), verify and read a webhook, refund. Adapters turn
the gateway's wire format into these neutral values and the gateway's failures into
three exceptions; the services never see an SDK type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol
from uuid import UUID


class GatewayUnavailableError(Exception):
    """Network error, timeout, rate limit, 5xx or bad credentials: nothing was done."""


class GatewayRejectedError(Exception):
    """The gateway understood the request and refused it (a 4xx)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class WebhookVerificationError(Exception):
    """A webhook delivery that must not be processed.

    ``signature_valid`` says whether the signature checked out before the failure
    (a well-signed but malformed body) so the delivery is recorded truthfully.
    """

    def __init__(self, message: str, *, code: str, signature_valid: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.signature_valid = signature_valid


@dataclass(frozen=True)
class CheckoutRequest:
    payment_id: UUID
    amount_minor: int
    currency: str
    description: str
    payer_email: str
    success_url: str
    cancel_url: str
    idempotency_key: str  # the gateway-side key: a retry must not create a second session


@dataclass(frozen=True)
class CheckoutSession:
    session_id: str
    url: str


@dataclass(frozen=True)
class RefundRequest:
    session_id: str
    gateway_payment_id: str
    amount_minor: int
    currency: str
    reason: str
    refund_id: UUID
    idempotency_key: str


@dataclass(frozen=True)
class RefundResult:
    gateway_refund_id: str
    status: Literal["pending", "succeeded", "failed"]
    failure_reason: str = ""


NotificationKind = Literal[
    "payment_succeeded",
    "payment_failed",
    "refund_succeeded",
    "refund_failed",
    "ignored",
]


@dataclass(frozen=True)
class WebhookNotification:
    """A verified webhook in neutral terms.

    ``signature_timestamp`` is the signed ``t=`` value: gateways sign every delivery
    afresh, so two deliveries with the same event id *and* timestamp are a replay.
    """

    event_id: str
    event_type: str
    kind: NotificationKind
    signature_timestamp: int
    session_id: str = ""
    payment_ref: str = ""  # our payment id as echoed by the gateway (client reference)
    gateway_payment_id: str = ""
    gateway_refund_id: str = ""
    refund_ref: str = ""  # our refund id as echoed by the gateway (metadata)
    amount_minor: int | None = None
    currency: str = ""
    reason: str = ""


class PaymentGateway(Protocol):
    """What the payments services need from a gateway."""

    name: str
    signature_header: str  # the HTTP header carrying the webhook signature

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """A hosted payment page for one payment. Idempotent per ``request.idempotency_key``."""
        ...

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookNotification:
        """Check signature and timestamp, then parse; raise WebhookVerificationError otherwise."""
        ...

    def refund(self, request: RefundRequest) -> RefundResult:
        """Give ``request.amount_minor`` back. Idempotent per ``request.idempotency_key``."""
        ...


def parse_signature_header(header: str) -> tuple[int, list[str]]:
    """``t=<unix>,v1=<hex>[,v1=<hex>...]`` -> (timestamp, v1 signatures); ValueError if malformed."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise ValueError("malformed signature header")
        if key == "t":
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise ValueError("signature header needs t= and v1=")
    return timestamp, signatures
