"""Gateway adapters behind one interface (``base.PaymentGateway``), chosen by settings."""

from __future__ import annotations

from django.conf import settings

from bazaar_platform.api.errors import NotFoundError
from contexts.payments.services.gateways.base import PaymentGateway


def gateway_names_enabled() -> list[str]:
    """Gateways whose webhooks we accept: the sandbox when enabled, Stripe when keyed."""
    names = []
    if settings.PAYMENTS_SANDBOX_ENABLED or settings.PAYMENTS_GATEWAY == "sandbox":
        names.append("sandbox")
    if settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET:
        names.append("stripe")
    return names


def gateway_get(name: str) -> PaymentGateway:
    """The adapter for ``name``; ``NotFoundError`` if it is unknown or not enabled."""
    if name not in gateway_names_enabled():
        raise NotFoundError(f"No payment gateway {name!r} is enabled here.")
    if name == "stripe":
        from contexts.payments.services.gateways.stripe_adapter import StripeGateway

        return StripeGateway()
    from contexts.payments.services.gateways.sandbox_adapter import SandboxGateway

    return SandboxGateway()


def gateway_default() -> PaymentGateway:
    """The adapter new payment links go to (``PAYMENTS_GATEWAY``)."""
    return gateway_get(settings.PAYMENTS_GATEWAY)
