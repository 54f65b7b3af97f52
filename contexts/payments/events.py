"""The payments context's published language: integration events emitted through the outbox.

Aggregate = ``payment_id`` for all three, so a consumer sees one payment's events in
order. ``purpose`` + ``reference_id`` tell a consumer whether the payment is for it
("subscription" → the subscriptions/vendors context, "order" → orders). Payloads hold
ids and primitives only; amounts are integer minor units with an ISO 4217 currency.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from bazaar_platform.events import IntegrationEvent


class PaymentSucceeded(IntegrationEvent):
    """The gateway confirmed the money was taken (published once per payment)."""

    event_type: ClassVar[str] = "payments.payment_succeeded"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "payment_id"

    payment_id: UUID
    purpose: str
    reference_id: UUID
    amount_minor: int
    currency: str
    gateway: str
    gateway_payment_id: str
    payer_email: str
    payer_user_id: UUID | None = None


class PaymentFailed(IntegrationEvent):
    """The gateway declined the payment or the checkout expired (published once per payment)."""

    event_type: ClassVar[str] = "payments.payment_failed"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "payment_id"

    payment_id: UUID
    purpose: str
    reference_id: UUID
    reason: str
    amount_minor: int
    currency: str
    gateway: str
    payer_email: str
    payer_user_id: UUID | None = None


class RefundSucceeded(IntegrationEvent):
    """Money went back to the payer (published once per refund)."""

    event_type: ClassVar[str] = "payments.refund_succeeded"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "payment_id"

    refund_id: UUID
    payment_id: UUID
    purpose: str
    reference_id: UUID
    amount_minor: int
    currency: str
    refunded_total_minor: int
    payment_status: str  # "partially_refunded" | "refunded"


ALL_EVENTS: tuple[type[IntegrationEvent], ...] = (PaymentSucceeded, PaymentFailed, RefundSucceeded)
