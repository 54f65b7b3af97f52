"""Creating a payment and its hosted payment page at the gateway.

Sequence (no transaction is held across the network call):

1. validate; derive the payment id from the idempotency key (UUIDv5);
2. a payment with that key exists -> same arguments: return it; else 409;
3. record a ``PaymentAttempt`` (committed on its own);
4. ask the gateway for a checkout session, with a gateway idempotency key derived
   from the payment id (a retry after a timeout gets the same session back);
5. failure -> mark the attempt failed and raise (503 unavailable / 422 rejected):
   no payment row exists, so nothing is half-made and a retry is safe;
   success -> in one transaction create the payment and link the attempt.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError, ConflictError
from contexts.payments.models import AttemptStatus, Payment, PaymentAttempt
from contexts.payments.services.errors import PaymentGatewayRejected, PaymentGatewayUnavailable
from contexts.payments.services.gateways import gateway_default
from contexts.payments.services.gateways.base import (
    CheckoutRequest,
    CheckoutSession,
    GatewayRejectedError,
    GatewayUnavailableError,
)
from contexts.payments.services.idempotency import fingerprint, key_validate, payment_id_for
from contexts.payments.services.money import amount_validate, currency_validate

logger = logging.getLogger(__name__)

_PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_url_validator = URLValidator(schemes=["http", "https"])


def _invalid(field: str, message: str, code: str = "validation_error") -> ApplicationError:
    return ApplicationError(message, code=code, fields={field: [message]})


def _validate_url(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise _invalid(field, "Must be a URL.")
    if value == "":
        return value
    try:
        _url_validator(value)
    except ValidationError as exc:
        raise _invalid(field, "Must be an http(s) URL.") from exc
    if len(value) > 2000:
        raise _invalid(field, "At most 2000 characters.")
    return value


def _validate(
    *,
    purpose: object,
    reference_id: object,
    description: object,
    payer_email: object,
) -> None:
    if not isinstance(purpose, str) or not _PURPOSE.match(purpose):
        raise _invalid("purpose", "A lower-case slug of at most 32 characters, e.g. 'order'.")
    if not isinstance(reference_id, UUID):
        raise _invalid("reference_id", "Must be a UUID.")
    if not isinstance(description, str) or not description.strip() or len(description) > 500:
        raise _invalid("description", "1 to 500 characters.")
    if not isinstance(payer_email, str) or len(payer_email) > 254:
        raise _invalid("payer_email", "Must be an e-mail address.")
    try:
        validate_email(payer_email)
    except ValidationError as exc:
        raise _invalid("payer_email", "Must be an e-mail address.") from exc


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
) -> Payment:
    key = key_validate(idempotency_key)
    _validate(
        purpose=purpose, reference_id=reference_id, description=description, payer_email=payer_email
    )
    amount = amount_validate(amount_minor)
    code = currency_validate(currency)
    success = _validate_url("success_url", success_url)
    cancel = _validate_url("cancel_url", cancel_url)
    if payer_user_id is not None and not isinstance(payer_user_id, UUID):
        raise _invalid("payer_user_id", "Must be a UUID.")
    arguments: dict[str, Any] = {
        "purpose": purpose,
        "reference_id": str(reference_id),
        "amount_minor": amount,
        "currency": code,
        "description": description,
        "payer_email": payer_email.lower(),
        "success_url": success,
        "cancel_url": cancel,
        "payer_user_id": str(payer_user_id) if payer_user_id else "",
    }
    digest = fingerprint(arguments)

    existing = Payment.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _same_request(existing, digest)

    payment_id = payment_id_for(key)
    gateway = gateway_default()
    attempt = PaymentAttempt.objects.create(
        payment_ref=payment_id,
        idempotency_key=key,
        gateway=gateway.name,
        request=arguments,
    )
    try:
        session = gateway.create_checkout(
            CheckoutRequest(
                payment_id=payment_id,
                amount_minor=amount,
                currency=code,
                description=description,
                payer_email=payer_email,
                success_url=success,
                cancel_url=cancel,
                idempotency_key=f"bazaar-payment-{payment_id}",
            )
        )
    except GatewayUnavailableError as exc:
        _attempt_failed(attempt, "gateway_unavailable", str(exc))
        logger.warning("payment gateway unavailable", extra={"gateway": gateway.name})
        raise PaymentGatewayUnavailable(
            "The payment gateway cannot be reached right now; retry with the same idempotency key."
        ) from exc
    except GatewayRejectedError as exc:
        _attempt_failed(attempt, exc.code or "gateway_rejected", exc.message)
        raise PaymentGatewayRejected(exc.message) from exc

    return _payment_record(
        attempt=attempt,
        session=session,
        payment_id=payment_id,
        key=key,
        digest=digest,
        gateway_name=gateway.name,
        purpose=purpose,
        reference_id=reference_id,
        amount=amount,
        currency=code,
        description=description,
        payer_email=payer_email,
        payer_user_id=payer_user_id,
        success_url=success,
        cancel_url=cancel,
    )


def _same_request(payment: Payment, digest: str) -> Payment:
    if payment.request_fingerprint != digest:
        raise ConflictError(
            "This idempotency key was already used with different arguments.",
            code="idempotency_key_reused",
        )
    return payment


def _attempt_failed(attempt: PaymentAttempt, code: str, message: str) -> None:
    attempt.status = AttemptStatus.FAILED
    attempt.error_code = code[:64]
    attempt.error_message = message[:2000]
    attempt.finished_at = timezone.now()
    attempt.save(update_fields=["status", "error_code", "error_message", "finished_at"])


def _payment_record(
    *,
    attempt: PaymentAttempt,
    session: CheckoutSession,
    payment_id: UUID,
    key: str,
    digest: str,
    gateway_name: str,
    purpose: str,
    reference_id: UUID,
    amount: int,
    currency: str,
    description: str,
    payer_email: str,
    payer_user_id: UUID | None,
    success_url: str,
    cancel_url: str,
) -> Payment:
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                id=payment_id,
                purpose=purpose,
                reference_id=reference_id,
                amount_minor=amount,
                currency=currency,
                description=description,
                payer_email=payer_email,
                payer_user_id=payer_user_id,
                gateway=gateway_name,
                gateway_session_id=session.session_id,
                checkout_url=session.url,
                success_url=success_url,
                cancel_url=cancel_url,
                idempotency_key=key,
                request_fingerprint=digest,
            )
            attempt.payment = payment
            attempt.status = AttemptStatus.SUCCEEDED
            attempt.gateway_session_id = session.session_id
            attempt.finished_at = timezone.now()
            attempt.save(update_fields=["payment", "status", "gateway_session_id", "finished_at"])
    except IntegrityError:
        # A concurrent call with the same key won the race (the gateway, keyed by the
        # same payment id, handed both of us the same session).
        winner = Payment.objects.filter(idempotency_key=key).first()
        if winner is None:
            raise
        attempt.payment = winner
        attempt.status = AttemptStatus.SUCCEEDED
        attempt.gateway_session_id = session.session_id
        attempt.finished_at = timezone.now()
        attempt.save(update_fields=["payment", "status", "gateway_session_id", "finished_at"])
        return _same_request(winner, digest)
    return payment
