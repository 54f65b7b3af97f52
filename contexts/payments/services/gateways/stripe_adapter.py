"""Stripe adapter: Checkout Sessions, signed webhooks, refunds, on the official SDK.

``STRIPE_API_BASE`` points the SDK elsewhere (the tests' local fake Stripe). Our
payment id travels as ``client_reference_id`` and in ``metadata`` of the session and
its PaymentIntent. Requests carry an ``Idempotency-Key`` derived from ours, so the
SDK's own retries and ours never create a second session or refund.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import stripe as stripe_sdk
from django.conf import settings

from contexts.payments.services.gateways.base import (
    CheckoutRequest,
    CheckoutSession,
    GatewayRejectedError,
    GatewayUnavailableError,
    NotificationKind,
    RefundRequest,
    RefundResult,
    WebhookNotification,
    WebhookVerificationError,
    parse_signature_header,
)

# Refund reasons Stripe accepts; ours goes into metadata.
_STRIPE_REFUND_REASON = "requested_by_customer"
_UNAVAILABLE = (
    stripe_sdk.APIConnectionError,
    stripe_sdk.RateLimitError,
    stripe_sdk.APIError,
    stripe_sdk.AuthenticationError,  # our credentials: the gateway is unusable, not the input
    stripe_sdk.PermissionError,
)


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str, timeout: float, retries: int) -> stripe_sdk.StripeClient:
    return stripe_sdk.StripeClient(
        api_key,
        base_addresses={"api": api_base},
        http_client=stripe_sdk.RequestsClient(timeout=timeout),
        max_network_retries=retries,
    )


def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except _UNAVAILABLE as exc:
        raise GatewayUnavailableError(f"Stripe: {exc.user_message or exc}") from exc
    except stripe_sdk.StripeError as exc:  # InvalidRequestError, CardError, IdempotencyError
        raise GatewayRejectedError(
            f"Stripe refused the request: {exc.user_message or exc}", code=str(exc.code or "")
        ) from exc


class StripeGateway:
    name = "stripe"
    signature_header = "Stripe-Signature"

    def __init__(self) -> None:
        self.webhook_secret: str = settings.STRIPE_WEBHOOK_SECRET
        self.client = _client(
            settings.STRIPE_SECRET_KEY,
            settings.STRIPE_API_BASE.rstrip("/"),
            float(settings.PAYMENTS_GATEWAY_TIMEOUT_SECONDS),
            int(settings.STRIPE_MAX_NETWORK_RETRIES),
        )

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        payment_id = str(request.payment_id)
        fallback = f"{settings.SITE_URL}/"
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": payment_id,
            "customer_email": request.payer_email,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": request.amount_minor,
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "metadata": {"payment_id": payment_id},
            "payment_intent_data": {"metadata": {"payment_id": payment_id}},
            "success_url": request.success_url or fallback,
            "cancel_url": request.cancel_url or fallback,
        }
        session = _call(
            self.client.v1.checkout.sessions.create,
            params=params,
            options={"idempotency_key": request.idempotency_key},
        ).to_dict()
        if not session.get("url"):
            raise GatewayRejectedError("Stripe returned a checkout session without a URL.")
        return CheckoutSession(session_id=session["id"], url=session["url"])

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookNotification:
        header = headers.get(self.signature_header, "")
        if not header:
            raise WebhookVerificationError(
                "The Stripe-Signature header is missing.", code="webhook_signature_missing"
            )
        tolerance: int = settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS
        try:
            event = stripe_sdk.Webhook.construct_event(
                body, header, self.webhook_secret, tolerance=tolerance
            ).to_dict()
        except stripe_sdk.SignatureVerificationError as exc:
            stale = "tolerance" in str(exc)
            raise WebhookVerificationError(
                f"The webhook timestamp is more than {tolerance} s old."
                if stale
                else "The webhook signature does not match.",
                code="webhook_timestamp_stale" if stale else "webhook_signature_invalid",
            ) from exc
        except (ValueError, UnicodeDecodeError) as exc:  # signature fine, body not JSON
            raise WebhookVerificationError(
                "The webhook body is not valid JSON.",
                code="webhook_payload_malformed",
                signature_valid=True,
            ) from exc
        timestamp, _ = parse_signature_header(header)
        event_id = event.get("id")
        obj = (event.get("data") or {}).get("object")
        if not isinstance(event_id, str) or not event_id or obj is None:
            raise WebhookVerificationError(
                "The webhook body is not a Stripe event.",
                code="webhook_payload_malformed",
                signature_valid=True,
            )
        return _notification(str(event_id), str(event.get("type", "")), obj, timestamp)

    def refund(self, request: RefundRequest) -> RefundResult:
        payment_intent = request.gateway_payment_id
        if not payment_intent:
            session = _call(self.client.v1.checkout.sessions.retrieve, request.session_id).to_dict()
            payment_intent = _id_of(session.get("payment_intent"))
        if not payment_intent:
            raise GatewayRejectedError("The Stripe checkout session has no payment to refund.")
        refund = _call(
            self.client.v1.refunds.create,
            params={
                "payment_intent": payment_intent,
                "amount": request.amount_minor,
                "reason": _STRIPE_REFUND_REASON,
                "metadata": {"refund_id": str(request.refund_id), "reason": request.reason[:500]},
            },
            options={"idempotency_key": request.idempotency_key},
        ).to_dict()
        status = str(refund.get("status", ""))
        mapped = (
            "succeeded"
            if status == "succeeded"
            else "failed"
            if status in {"failed", "canceled"}
            else "pending"
        )
        return RefundResult(
            gateway_refund_id=refund["id"],
            status=mapped,  # type: ignore[arg-type]
            failure_reason=str(refund.get("failure_reason") or ""),
        )


def _id_of(value: Any) -> str:
    """An expandable Stripe field: an id string or an expanded object."""
    if isinstance(value, str):
        return value
    if value is not None and value.get("id"):
        return str(value["id"])
    return ""


def _notification(event_id: str, event_type: str, obj: Any, timestamp: int) -> WebhookNotification:
    kind: NotificationKind = "ignored"
    reason = ""
    if event_type.startswith("checkout.session."):
        metadata = obj.get("metadata") or {}
        if event_type == "checkout.session.completed":
            # "unpaid" means an asynchronous method (a bank debit) is still running:
            # async_payment_succeeded / _failed follows.
            paid = obj.get("payment_status") in {"paid", "no_payment_required"}
            kind = "payment_succeeded" if paid else "ignored"
        elif event_type == "checkout.session.async_payment_succeeded":
            kind = "payment_succeeded"
        elif event_type == "checkout.session.async_payment_failed":
            kind, reason = "payment_failed", "async_payment_failed"
        elif event_type == "checkout.session.expired":
            kind, reason = "payment_failed", "checkout_expired"
        amount = obj.get("amount_total")
        return WebhookNotification(
            event_id=event_id,
            event_type=event_type,
            kind=kind,
            signature_timestamp=timestamp,
            session_id=str(obj.get("id") or ""),
            payment_ref=str(obj.get("client_reference_id") or metadata.get("payment_id") or ""),
            gateway_payment_id=_id_of(obj.get("payment_intent")),
            amount_minor=amount if isinstance(amount, int) else None,
            currency=str(obj.get("currency") or "").upper(),
            reason=reason,
        )
    if event_type in {"refund.updated", "refund.failed", "charge.refund.updated"}:
        status = obj.get("status")
        if status == "succeeded":
            kind = "refund_succeeded"
        elif status in {"failed", "canceled"}:
            kind, reason = "refund_failed", str(obj.get("failure_reason") or status)
        return WebhookNotification(
            event_id=event_id,
            event_type=event_type,
            kind=kind,
            signature_timestamp=timestamp,
            gateway_refund_id=str(obj.get("id") or ""),
            refund_ref=str((obj.get("metadata") or {}).get("refund_id") or ""),
            gateway_payment_id=_id_of(obj.get("payment_intent")),
            reason=reason,
        )
    return WebhookNotification(
        event_id=event_id, event_type=event_type, kind="ignored", signature_timestamp=timestamp
    )
