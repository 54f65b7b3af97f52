"""Errors the payments context raises (all render through the API kit's error format)."""

from __future__ import annotations

from bazaar_platform.api.errors import ApplicationError


class PaymentGatewayUnavailable(ApplicationError):  # noqa: N818 - the published name
    """The gateway could not be reached (network error, timeout or a 5xx). Retry later
    with the same idempotency key: nothing was created, the failed attempt is recorded."""

    status_code = 503
    code = "payment_gateway_unavailable"


class PaymentGatewayRejected(ApplicationError):  # noqa: N818 - pairs with the above
    """The gateway refused a request that passed our own validation (e.g. an amount
    below the gateway's minimum for the currency)."""

    status_code = 422
    code = "payment_gateway_rejected"
