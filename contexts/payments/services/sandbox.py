"""The sandbox gateway's own side: the built-in stand-in for a real payment provider.

It behaves like a hosted-checkout gateway: it creates checkout sessions (a hosted
page where a tester approves or declines), and after a decision it *delivers a signed
webhook over HTTP* to the platform's webhook endpoint, exactly as a real gateway
would, retrying until the endpoint answers 2xx. The merchant side (our adapter in
``gateways/sandbox.py``) only ever sees it through those three channels.

Signature: ``Bazaar-Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
"<t>.<raw body>")>``, generated afresh for every delivery attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from uuid import uuid4

import requests
from celery import current_app
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone

from bazaar_platform.api.errors import ConflictError, NotFoundError
from contexts.payments.models import (
    SandboxAccount,
    SandboxCheckout,
    SandboxCheckoutStatus,
    SandboxRefund,
)
from contexts.payments.services.gateways.base import GatewayRejectedError

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Bazaar-Sandbox-Signature"
EVENT_APPROVED = "checkout.approved"
EVENT_DECLINED = "checkout.declined"


def sandbox_account_ensure() -> SandboxAccount:
    """The sandbox's account row, with a freshly generated signing secret the first time."""
    account = SandboxAccount.objects.filter(pk=1).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return SandboxAccount.objects.create(
                pk=1, webhook_secret=f"sbxsec_{secrets.token_urlsafe(32)}"
            )
    except IntegrityError:  # another process created it first
        return SandboxAccount.objects.get(pk=1)


def sandbox_webhook_secret() -> str:
    """``PAYMENTS_SANDBOX_WEBHOOK_SECRET`` when set, else the account's generated secret."""
    configured: str = settings.PAYMENTS_SANDBOX_WEBHOOK_SECRET
    return configured or sandbox_account_ensure().webhook_secret


def sandbox_secret_rotate() -> SandboxAccount:
    """A new signing secret (staff action); deliveries signed with the old one stop verifying."""
    account = sandbox_account_ensure()
    account.webhook_secret = f"sbxsec_{secrets.token_urlsafe(32)}"
    account.save(update_fields=["webhook_secret", "updated_at"])
    return account


def sandbox_webhook_url() -> str:
    configured: str = settings.PAYMENTS_SANDBOX_WEBHOOK_URL
    if configured:
        return configured
    path = reverse("payments:webhook", kwargs={"gateway": "sandbox"})
    return f"{settings.SITE_URL}{path}"


def sandbox_checkout_url(checkout_id: str) -> str:
    path = reverse("payments:sandbox-checkout", kwargs={"checkout_id": checkout_id})
    return f"{settings.SITE_URL}{path}"


@dataclass(frozen=True)
class SandboxCheckoutInput:
    idempotency_key: str
    client_reference_id: str
    amount_minor: int
    currency: str
    description: str
    payer_email: str
    success_url: str
    cancel_url: str


def sandbox_checkout_create(*, data: SandboxCheckoutInput) -> SandboxCheckout:
    """A checkout session; the same idempotency key returns the same session.

    Reusing a key with different parameters is refused, as real gateways do.
    """
    fields = {
        "client_reference_id": data.client_reference_id,
        "amount_minor": data.amount_minor,
        "currency": data.currency,
        "description": data.description,
        "payer_email": data.payer_email,
        "success_url": data.success_url,
        "cancel_url": data.cancel_url,
    }
    existing = SandboxCheckout.objects.filter(idempotency_key=data.idempotency_key).first()
    if existing is None:
        try:
            with transaction.atomic():
                return SandboxCheckout.objects.create(
                    id=f"sbx_cs_{uuid4().hex}", idempotency_key=data.idempotency_key, **fields
                )
        except IntegrityError:
            existing = SandboxCheckout.objects.get(idempotency_key=data.idempotency_key)
    if any(getattr(existing, name) != value for name, value in fields.items()):
        raise GatewayRejectedError(
            "Keys for idempotent requests can only be used with the same parameters.",
            code="idempotency_error",
        )
    return existing


def sandbox_checkout_get(*, checkout_id: str) -> SandboxCheckout | None:
    return SandboxCheckout.objects.filter(pk=checkout_id).first()


def sandbox_checkout_decide(*, checkout_id: str, approve: bool) -> SandboxCheckout:
    """The tester's decision on the hosted page. Decided once; the webhook follows."""
    with transaction.atomic():
        checkout = SandboxCheckout.objects.select_for_update().filter(pk=checkout_id).first()
        if checkout is None:
            raise NotFoundError("There is no such sandbox checkout.")
        if checkout.status != SandboxCheckoutStatus.OPEN:
            raise ConflictError(
                f"This checkout was already {checkout.status}.", code="checkout_already_decided"
            )
        checkout.status = (
            SandboxCheckoutStatus.APPROVED if approve else SandboxCheckoutStatus.DECLINED
        )
        checkout.payment_reference = f"sbx_pay_{uuid4().hex}" if approve else ""
        checkout.event_id = f"evt_sbx_{uuid4().hex}"
        checkout.decided_at = timezone.now()
        checkout.save(update_fields=["status", "payment_reference", "event_id", "decided_at"])
    return checkout


def sandbox_webhook_body(checkout: SandboxCheckout) -> bytes:
    """The event for a decided checkout; identical for every delivery of it."""
    approved = checkout.status == SandboxCheckoutStatus.APPROVED
    decided = checkout.decided_at or checkout.created_at
    event = {
        "id": checkout.event_id,
        "object": "event",
        "type": EVENT_APPROVED if approved else EVENT_DECLINED,
        "created": int(decided.timestamp()),
        "data": {
            "checkout_id": checkout.id,
            "client_reference_id": checkout.client_reference_id,
            "payment_reference": checkout.payment_reference,
            "amount_minor": checkout.amount_minor,
            "currency": checkout.currency,
            "reason": "" if approved else "declined_by_tester",
        },
    }
    return json.dumps(event, separators=(",", ":")).encode()


def sandbox_sign(*, body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Bazaar-Sandbox-Signature`` header value for ``body``."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def sandbox_webhook_deliver(*, checkout_id: str) -> bool:
    """POST the decision's webhook to the platform; True once it answered 2xx.

    No database transaction is held during the HTTP call. Each attempt is counted on
    the checkout, with the last error, for the admin.
    """
    checkout = SandboxCheckout.objects.filter(pk=checkout_id).first()
    if checkout is None or checkout.status == SandboxCheckoutStatus.OPEN:
        return False
    if checkout.webhook_delivered_at is not None:
        return True
    body = sandbox_webhook_body(checkout)
    header = sandbox_sign(body=body, secret=sandbox_webhook_secret())
    error = ""
    try:
        response = requests.post(
            sandbox_webhook_url(),
            data=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: header},
            timeout=settings.PAYMENTS_GATEWAY_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        if not 200 <= response.status_code < 300:
            error = f"HTTP {response.status_code}: {response.text[:500]}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    updates: dict[str, object] = {
        "webhook_last_error": error,
        "webhook_attempts": F("webhook_attempts") + 1,
    }
    if not error:
        updates["webhook_delivered_at"] = timezone.now()
    SandboxCheckout.objects.filter(pk=checkout.pk).update(**updates)
    if error:
        logger.warning(
            "sandbox webhook delivery failed", extra={"checkout": checkout.pk, "error": error}
        )
    return not error


def sandbox_refund_create(
    *, payment_reference: str, amount_minor: int, idempotency_key: str
) -> SandboxRefund:
    """Refund at the sandbox: at once, never more than was approved and not yet refunded."""
    existing = SandboxRefund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if (existing.payment_reference, existing.amount_minor) != (payment_reference, amount_minor):
            raise GatewayRejectedError(
                "Keys for idempotent requests can only be used with the same parameters.",
                code="idempotency_error",
            )
        return existing
    with transaction.atomic():
        checkout = (
            SandboxCheckout.objects.select_for_update()
            .filter(payment_reference=payment_reference, status=SandboxCheckoutStatus.APPROVED)
            .exclude(payment_reference="")
            .first()
        )
        if checkout is None:
            raise GatewayRejectedError(
                f"No such payment: {payment_reference!r}", code="resource_missing"
            )
        refunded = (
            SandboxRefund.objects.filter(payment_reference=payment_reference).aggregate(
                total=Sum("amount_minor")
            )["total"]
            or 0
        )
        if amount_minor > checkout.amount_minor - refunded:
            raise GatewayRejectedError(
                "Refund amount is greater than the unrefunded amount of the payment.",
                code="amount_too_large",
            )
        return SandboxRefund.objects.create(
            id=f"sbx_re_{uuid4().hex}",
            idempotency_key=idempotency_key,
            payment_reference=payment_reference,
            amount_minor=amount_minor,
        )


# --- delivery scheduling -----------------------------------------------------------

DELIVERY_TASK = "payments.sandbox_deliver_webhook"
# Embedded profile (Celery eager): a background thread retries a few times, quickly.
_THREAD_BACKOFF_SECONDS = (0.5, 2.0, 5.0, 15.0)
_threads: list[threading.Thread] = []


def sandbox_webhook_schedule(*, checkout_id: str) -> None:
    """Deliver the decision's webhook after the current transaction commits.

    With a Celery worker the ``payments.sandbox_deliver_webhook`` task does it (and
    retries with backoff). With Celery eager (the embedded profile) a background
    thread does it: delivering inline would make the request that approved the
    checkout wait on a request to the same server, which deadlocks a server that
    runs synchronous views on one thread (Django under ASGI).
    """

    def start() -> None:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            thread = threading.Thread(
                target=_deliver_in_thread,
                args=(checkout_id,),
                name=f"sandbox-webhook-{checkout_id}",
                daemon=True,
            )
            _threads.append(thread)
            thread.start()
        else:
            current_app.send_task(DELIVERY_TASK, args=[checkout_id])

    transaction.on_commit(start)


def _deliver_in_thread(checkout_id: str) -> None:
    try:
        for delay in (0.0, *_THREAD_BACKOFF_SECONDS):
            time.sleep(delay)
            if sandbox_webhook_deliver(checkout_id=checkout_id):
                return
    finally:
        connection.close()


def sandbox_deliveries_wait(timeout: float = 30.0) -> None:
    """Join the embedded profile's delivery threads (tests, and a clean shutdown)."""
    deadline = time.monotonic() + timeout
    while _threads:
        thread = _threads.pop()
        thread.join(max(0.0, deadline - time.monotonic()))
