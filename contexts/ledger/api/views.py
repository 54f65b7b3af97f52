"""The ledger API for vendors: one thin view per operation.

Every endpoint finds the caller's vendor through the vendors facade and shows only that
vendor's money; there is no vendor id in any URL to tamper with.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.api.views import BazaarAPIView, BazaarListAPIView
from bazaar_platform.tokens.permissions import IsVendor, principal_user_id
from contexts.ledger import facade
from contexts.ledger.api import serializers as s
from contexts.ledger.models import Posting
from contexts.ledger.selectors import posting_list_for_vendor
from contexts.vendors import facade as vendors


class NotAVendorMemberError(ApplicationError):
    status_code = 403
    code = "not_a_vendor_member"


def _vendor(request: Request) -> UUID:
    user_id = principal_user_id(request.user)
    membership = vendors.vendor_membership_for_user(user_id=user_id) if user_id else None
    if membership is None:
        raise NotAVendorMemberError("Your account does not belong to a vendor.")
    return membership.vendor_id


class BalanceApi(BazaarAPIView):
    permission_classes = [IsVendor]

    @extend_schema(
        responses={200: s.BalanceOutput},
        summary="My vendor's balance per currency (earnings net of refunds)",
    )
    def get(self, request: Request) -> Response:
        vendor_id = _vendor(request)
        return Response(
            s.BalanceOutput(
                {"vendor_id": vendor_id, "balances": facade.vendor_balance(vendor_id=vendor_id)}
            ).data
        )


class StatementApi(BazaarListAPIView):
    permission_classes = [IsVendor]
    serializer_class = s.PostingOutput
    extra_query_params: ClassVar[frozenset[str]] = frozenset(s.StatementQuery().fields)

    def get_queryset(self) -> QuerySet[Posting]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Posting.objects.none()
        query = s.StatementQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return posting_list_for_vendor(vendor_id=_vendor(self.request), **query.validated_data)

    @extend_schema(
        summary="My vendor's statement: sales and refunds with their entries, newest first",
        parameters=[
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="Inclusive (UTC)."),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="Inclusive (UTC)."),
            OpenApiParameter("currency", OpenApiTypes.STR, description="ISO 4217 code."),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=["sale", "refund"]),
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
