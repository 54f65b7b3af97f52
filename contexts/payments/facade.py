"""The payments context's synchronous API for other contexts.

Plain functions with keyword-only arguments returning frozen dataclasses. Money is
integer minor units (cents) plus an ISO 4217 currency code. Other contexts never see
the payment models; they call these and react to ``contexts.payments.events``.

``payment_link_create`` and ``refund_create`` talk to the payment gateway over the
network: call them outside ``transaction.atomic()`` (a caller's rollback would also
roll back the recorded attempt).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from contexts.payments import selectors
from contexts.payments.models import Payment
from contexts.payments.services import payment_links, refunds
from contexts.payments.services.errors import PaymentGatewayRejected, PaymentGatewayUnavailable

__all__ = [
    "PaymentGatewayRejected",
    "PaymentGatewayUnavailable",
    "PaymentLink",
    "PaymentSummary",
    "RefundSummary",
    "payment_get",
    "payment_link_create",
    "payments_for_reference",
    "refund_create",
]


@dataclass(frozen=True)
class PaymentLink:
    """Where to send the payer: ``url`` is the gateway's hosted payment page."""

    payment_id: UUID
    url: str
    status: str
    amount_minor: int
    currency: str
    gateway: str


@dataclass(frozen=True)
class PaymentSummary:
    """A payment as other contexts may see it.

    ``status`` is one of pending, succeeded, failed, refunded, partially_refunded.
    """

    payment_id: UUID
    purpose: str
    reference_id: UUID
    status: str
    amount_minor: int
    refunded_minor: int
    currency: str
    gateway: str
    payer_email: str
    payer_user_id: UUID | None
    created_at: datetime
    succeeded_at: datetime | None

    @property
    def id(self) -> UUID:
        return self.payment_id


@dataclass(frozen=True)
class RefundSummary:
    """A refund: ``status`` is pending (the gateway is processing it), succeeded or failed."""

    refund_id: UUID
    payment_id: UUID
    amount_minor: int
    currency: str
    status: str
    reason: str
    created_at: datetime


def payment_link_create(
    *,
    purpose: str,
    reference_id: UUID,
    amount_minor: int,
    currency: str,
    description: str,
    payer_email: str,
    idempotency_key: str,
    success_url: str = "",
    cancel_url: str = "",
    payer_user_id: UUID | None = None,
) -> PaymentLink:
    """Create a payment and its hosted payment page at the configured gateway.

    ``purpose`` is a short slug ("subscription", "order") and ``reference_id`` the id of
    the thing paid for; both come back in the payments events. The same
    ``idempotency_key`` with the same arguments returns the same link (nothing is
    created twice); with different arguments it raises ``ConflictError`` (409).
    Invalid money (unknown currency, amount <= 0 or absurdly large) raises
    ``ApplicationError`` (400). An unreachable gateway raises
    ``PaymentGatewayUnavailable`` (503) after recording the failed attempt; nothing
    else is written, so retrying with the same key is safe.
    """
    payment = payment_links.payment_link_create(
        purpose=purpose,
        reference_id=reference_id,
        amount_minor=amount_minor,
        currency=currency,
        description=description,
        payer_email=payer_email,
        idempotency_key=idempotency_key,
        success_url=success_url,
        cancel_url=cancel_url,
        payer_user_id=payer_user_id,
    )
    return PaymentLink(
        payment_id=payment.pk,
        url=payment.checkout_url,
        status=payment.status,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        gateway=payment.gateway,
    )


def payment_get(*, payment_id: UUID) -> PaymentSummary | None:
    """The payment ``payment_id``, or ``None`` if there is none."""
    payment = selectors.payment_get(payment_id=payment_id)
    return None if payment is None else _summary(payment)


def payments_for_reference(*, purpose: str, reference_id: UUID) -> list[PaymentSummary]:
    """Every payment made for (``purpose``, ``reference_id``), oldest first."""
    return [
        _summary(p)
        for p in selectors.payment_list_for_reference(purpose=purpose, reference_id=reference_id)
    ]


def refund_create(
    *, payment_id: UUID, amount_minor: int, reason: str, idempotency_key: str
) -> RefundSummary:
    """Refund ``amount_minor`` of a succeeded payment through its gateway.

    Never more than what was paid minus what is already refunded (or being refunded):
    above that raises ``ApplicationError`` (422, code ``refund_exceeds_refundable``); a
    payment that has not succeeded raises 409 (``payment_not_refundable``); an unknown
    payment raises ``NotFoundError``. Idempotent per ``idempotency_key`` like
    ``payment_link_create``. On success publishes ``payments.refund_succeeded``.
    """
    refund = refunds.refund_create(
        payment_id=payment_id,
        amount_minor=amount_minor,
        reason=reason,
        idempotency_key=idempotency_key,
    )
    return RefundSummary(
        refund_id=refund.pk,
        payment_id=refund.payment_id,
        amount_minor=refund.amount_minor,
        currency=refund.currency,
        status=refund.status,
        reason=refund.reason,
        created_at=refund.created_at,
    )


def _summary(payment: Payment) -> PaymentSummary:
    return PaymentSummary(
        payment_id=payment.pk,
        purpose=payment.purpose,
        reference_id=payment.reference_id,
        status=payment.status,
        amount_minor=payment.amount_minor,
        refunded_minor=payment.refunded_minor,
        currency=payment.currency,
        gateway=payment.gateway,
        payer_email=payment.payer_email,
        payer_user_id=payment.payer_user_id,
        created_at=payment.created_at,
        succeeded_at=payment.succeeded_at,
    )
