"""The payments API: one thin view per operation."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.errors import NotFoundError
from bazaar_platform.api.views import BazaarAPIView
from bazaar_platform.tokens.permissions import IsAdmin, principal_roles, principal_user_id
from contexts.payments import selectors
from contexts.payments.api import serializers as s
from contexts.payments.services import refunds, webhooks


def _validated(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class PaymentDetailApi(BazaarAPIView):
    """A payment, for its payer (or staff). Anyone else gets 404, not 403."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.PaymentOutput}, summary="A payment (payer or staff)")
    def get(self, request: Request, payment_id: UUID) -> Response:
        user_id = principal_user_id(request.user)
        if user_id is None:
            raise exceptions.NotAuthenticated()
        payment = selectors.payment_get_for_viewer(
            payment_id=payment_id,
            user_id=user_id,
            is_admin="admin" in principal_roles(request.user),
        )
        if payment is None:
            raise NotFoundError("There is no such payment.")
        return Response(s.PaymentOutput(payment).data)


class PaymentRefundCreateApi(BazaarAPIView):
    """Staff refund a payment (in full or in part) through its gateway."""

    permission_classes = [IsAdmin]

    @extend_schema(
        request=s.RefundCreateInput,
        responses={201: s.RefundOutput},
        summary="Refund a payment (admin)",
    )
    def post(self, request: Request, payment_id: UUID) -> Response:
        data = _validated(s.RefundCreateInput, request)
        refund = refunds.refund_create(
            payment_id=payment_id,
            amount_minor=data["amount_minor"],
            reason=data["reason"],
            idempotency_key=data["idempotency_key"],
        )
        return Response(s.RefundOutput(refund).data, status=status.HTTP_201_CREATED)


class PaymentWebhookReceiveApi(BazaarAPIView):
    """A gateway's webhook. Authenticated by its signature, not by a user."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={200: s.WebhookAckOutput},
        summary="Gateway webhook (signed)",
        description=(
            "Called by the payment gateway, authenticated by its signature header "
            "(`Bazaar-Sandbox-Signature` or `Stripe-Signature`). 200 with status processed, "
            "duplicate (a redelivery) or ignored (not about one of our payments); 400 for a "
            "missing, invalid or stale signature or a malformed body; 409 `webhook_replayed` "
            "for a byte-identical replay; 404 when the gateway is not enabled."
        ),
    )
    def post(self, request: Request, gateway: str) -> Response:
        # The signature covers the raw bytes: read them, never the parsed body.
        result = webhooks.webhook_receive(
            gateway=gateway, body=request.body, headers=request.headers
        )
        return Response(
            s.WebhookAckOutput(
                {
                    "status": result.status,
                    "webhook_event_id": result.webhook_event_id,
                    "detail": result.detail,
                }
            ).data
        )
