"""Our adapter for the built-in sandbox gateway (the merchant side of it)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings

from contexts.payments.services import sandbox as sandbox_gateway
from contexts.payments.services.gateways.base import (
    CheckoutRequest,
    CheckoutSession,
    GatewayRejectedError,
    RefundRequest,
    RefundResult,
    WebhookNotification,
    WebhookVerificationError,
    parse_signature_header,
)


class SandboxGateway:
    name = "sandbox"
    signature_header = sandbox_gateway.SIGNATURE_HEADER

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        checkout = sandbox_gateway.sandbox_checkout_create(
            data=sandbox_gateway.SandboxCheckoutInput(
                idempotency_key=request.idempotency_key,
                client_reference_id=str(request.payment_id),
                amount_minor=request.amount_minor,
                currency=request.currency,
                description=request.description,
                payer_email=request.payer_email,
                success_url=request.success_url,
                cancel_url=request.cancel_url,
            )
        )
        return CheckoutSession(
            session_id=checkout.id, url=sandbox_gateway.sandbox_checkout_url(checkout.id)
        )

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookNotification:
        header = headers.get(self.signature_header, "")
        if not header:
            raise WebhookVerificationError(
                f"The {self.signature_header} header is missing.", code="webhook_signature_missing"
            )
        try:
            timestamp, signatures = parse_signature_header(header)
        except ValueError as exc:
            raise WebhookVerificationError(
                f"The {self.signature_header} header is malformed.",
                code="webhook_signature_invalid",
            ) from exc
        secret = sandbox_gateway.sandbox_webhook_secret()
        expected = hmac.new(
            secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not any(hmac.compare_digest(expected, s) for s in signatures):
            raise WebhookVerificationError(
                "The webhook signature does not match.", code="webhook_signature_invalid"
            )
        tolerance: int = settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS
        if abs(time.time() - timestamp) > tolerance:
            raise WebhookVerificationError(
                f"The webhook timestamp is more than {tolerance} s away from now.",
                code="webhook_timestamp_stale",
            )
        event = _parse_event(body)
        data = event["data"]
        approved = event["type"] == sandbox_gateway.EVENT_APPROVED
        declined = event["type"] == sandbox_gateway.EVENT_DECLINED
        return WebhookNotification(
            event_id=event["id"],
            event_type=event["type"],
            kind="payment_succeeded" if approved else "payment_failed" if declined else "ignored",
            signature_timestamp=timestamp,
            session_id=str(data.get("checkout_id", "")),
            payment_ref=str(data.get("client_reference_id", "")),
            gateway_payment_id=str(data.get("payment_reference", "")),
            amount_minor=data.get("amount_minor")
            if isinstance(data.get("amount_minor"), int)
            else None,
            currency=str(data.get("currency", "")),
            reason=str(data.get("reason", "")) or ("declined" if declined else ""),
        )

    def refund(self, request: RefundRequest) -> RefundResult:
        if not request.gateway_payment_id:
            raise GatewayRejectedError("The payment has no sandbox payment reference.")
        refund = sandbox_gateway.sandbox_refund_create(
            payment_reference=request.gateway_payment_id,
            amount_minor=request.amount_minor,
            idempotency_key=request.idempotency_key,
        )
        return RefundResult(gateway_refund_id=refund.id, status="succeeded")


def _parse_event(body: bytes) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookVerificationError(
            "The webhook body is not valid JSON.",
            code="webhook_payload_malformed",
            signature_valid=True,
        ) from exc
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not event["id"]
        or not isinstance(event.get("type"), str)
        or not isinstance(event.get("data"), dict)
    ):
        raise WebhookVerificationError(
            "The webhook body is not an event (id, type, data).",
            code="webhook_payload_malformed",
            signature_valid=True,
        )
    return event
