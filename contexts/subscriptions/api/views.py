"""The subscriptions API: one thin view per operation.

Vendor endpoints find the caller's vendor through the vendors facade and only ever
show that vendor's subscriptions: another vendor's subscription id answers 404.
Billing operations (pay, change plan, cancel, resume) need the vendor's owner.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.errors import ApplicationError, NotFoundError
from bazaar_platform.api.views import BazaarAPIView, BazaarListAPIView
from bazaar_platform.tokens.permissions import IsAdmin, IsVendor, principal_user_id
from contexts.subscriptions import facade
from contexts.subscriptions.api import serializers as s
from contexts.subscriptions.models import Charge, Plan, Subscription
from contexts.subscriptions.selectors import (
    charge_list_for_subscription,
    plan_get,
    plan_list,
    subscription_get,
    subscription_latest_for_vendor,
)
from contexts.subscriptions.services import billing, changes, lifecycle, plans
from contexts.subscriptions.services.usage import plan_in_force
from contexts.vendors import facade as vendors


class NotAVendorMemberError(ApplicationError):
    status_code = 403
    code = "not_a_vendor_member"


def _validated(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _vendor(request: Request, *, owner: bool = False) -> UUID:
    user_id = principal_user_id(request.user)
    membership = vendors.vendor_membership_for_user(user_id=user_id) if user_id else None
    if membership is None:
        raise NotAVendorMemberError("Your account does not belong to a vendor.")
    if owner and membership.role != "owner":
        raise ApplicationError(
            "Only the vendor's owner manages its subscription.",
            code="vendor_role_required",
            status_code=403,
        )
    return membership.vendor_id


def _own_subscription(
    request: Request, subscription_id: UUID, *, owner: bool = False
) -> Subscription:
    vendor_id = _vendor(request, owner=owner)
    sub = subscription_get(subscription_id=subscription_id)
    if sub is None or sub.vendor_id != vendor_id:
        raise NotFoundError("No such subscription.")
    return sub


def _checkout_data(checkout: billing.Checkout | None) -> dict[str, Any] | None:
    if checkout is None:
        return None
    return {
        "charge_id": checkout.charge_id,
        "payment_id": checkout.payment_id,
        "url": checkout.url,
        "amount_minor": checkout.amount_minor,
        "currency": checkout.currency,
        "gateway": checkout.gateway,
    }


# --- plans -------------------------------------------------------------------------------------
class PlanListApi(BazaarListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.PlanOutput
    pagination_class = None

    def get_queryset(self) -> QuerySet[Plan]:
        return plan_list()

    @extend_schema(summary="Plans on offer, with prices and limits")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class PlanCreateApi(BazaarAPIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        request=s.PlanCreateInput, responses={201: s.PlanOutput}, summary="Create a plan"
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.PlanCreateInput, request)
        plan = plans.plan_create(**data)
        return Response(s.PlanOutput(plan_get(code=plan.code)).data, status=status.HTTP_201_CREATED)


class PlanUpdateApi(BazaarAPIView):
    permission_classes = [IsAdmin]

    @extend_schema(request=s.PlanUpdateInput, responses={200: s.PlanOutput}, summary="Edit a plan")
    def patch(self, request: Request, code: str) -> Response:
        data = _validated(s.PlanUpdateInput, request)
        plans.plan_update(code=code, **data)
        return Response(s.PlanOutput(plan_get(code=code)).data)


# --- the caller's subscription -----------------------------------------------------------------
class SubscriptionCurrentApi(BazaarAPIView):
    permission_classes = [IsVendor]

    @extend_schema(responses={200: s.SubscriptionOutput}, summary="My vendor's subscription")
    def get(self, request: Request) -> Response:
        sub = subscription_latest_for_vendor(vendor_id=_vendor(request))
        if sub is None:
            raise NotFoundError("Your vendor has no subscription.")
        return Response(s.SubscriptionOutput(sub).data)


class SubscriptionDetailApi(BazaarAPIView):
    permission_classes = [IsVendor]

    @extend_schema(
        responses={200: s.SubscriptionOutput}, summary="One of my vendor's subscriptions"
    )
    def get(self, request: Request, subscription_id: UUID) -> Response:
        return Response(s.SubscriptionOutput(_own_subscription(request, subscription_id)).data)


class ChargeListApi(BazaarListAPIView):
    permission_classes = [IsVendor]
    serializer_class = s.ChargeOutput

    def get_queryset(self) -> QuerySet[Charge]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Charge.objects.none()
        sub = _own_subscription(self.request, self.kwargs["subscription_id"])
        return charge_list_for_subscription(subscription_id=sub.pk).order_by("-created_at")

    @extend_schema(summary="Charges (and their payments) of one of my subscriptions")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class SubscriptionCheckoutApi(BazaarAPIView):
    permission_classes = [IsVendor]

    @extend_schema(
        request=None,
        responses={200: s.CheckoutOutput},
        summary="A payment link for what the subscription owes",
    )
    def post(self, request: Request, subscription_id: UUID) -> Response:
        sub = _own_subscription(request, subscription_id, owner=True)
        checkout = billing.subscription_checkout(subscription_id=sub.pk)
        if checkout is None:
            raise ApplicationError(
                "Nothing is owed on this subscription.", code="nothing_to_pay", status_code=409
            )
        return Response(_checkout_data(checkout))


class SubscriptionChangePlanApi(BazaarAPIView):
    permission_classes = [IsVendor]

    @extend_schema(
        request=s.ChangePlanInput,
        responses={200: s.PlanChangeOutput},
        summary="Upgrade (prorated, at once) or downgrade (at the period's end)",
    )
    def post(self, request: Request, subscription_id: UUID) -> Response:
        sub = _own_subscription(request, subscription_id, owner=True)
        data = _validated(s.ChangePlanInput, request)
        result = changes.subscription_change_plan(subscription_id=sub.pk, plan_code=data["plan"])
        checkout = None
        if result.charge_id is not None:
            checkout = billing.charge_checkout(charge_id=result.charge_id)
        return Response(
            {
                "direction": result.direction,
                "applied": result.applied,
                "amount_minor": result.amount_minor,
                "effective_at": result.effective_at,
                "subscription": s.SubscriptionOutput(subscription_get(subscription_id=sub.pk)).data,
                "payment": _checkout_data(checkout),
            }
        )


class SubscriptionCancelApi(BazaarAPIView):
    permission_classes = [IsVendor]

    @extend_schema(
        request=None,
        responses={200: s.SubscriptionOutput},
        summary="Cancel (unpaid: now; active: at the end of the paid period)",
    )
    def post(self, request: Request, subscription_id: UUID) -> Response:
        sub = _own_subscription(request, subscription_id, owner=True)
        lifecycle.subscription_cancel(subscription_id=sub.pk)
        return Response(s.SubscriptionOutput(subscription_get(subscription_id=sub.pk)).data)


class SubscriptionResumeApi(BazaarAPIView):
    permission_classes = [IsVendor]

    @extend_schema(
        request=None, responses={200: s.SubscriptionOutput}, summary="Undo a scheduled cancellation"
    )
    def post(self, request: Request, subscription_id: UUID) -> Response:
        sub = _own_subscription(request, subscription_id, owner=True)
        lifecycle.subscription_resume(subscription_id=sub.pk)
        return Response(s.SubscriptionOutput(subscription_get(subscription_id=sub.pk)).data)


class UsageApi(BazaarAPIView):
    permission_classes = [IsVendor]

    @extend_schema(responses={200: s.UsageOutput}, summary="My vendor's usage against its plan")
    def get(self, request: Request) -> Response:
        vendor_id = _vendor(request)
        plan = plan_in_force(vendor_id=vendor_id)
        usage = facade.usage_for(vendor_id=vendor_id)
        return Response(
            s.UsageOutput(
                {
                    "vendor_id": vendor_id,
                    "plan": plan.code,
                    "resources": [u.__dict__ for u in usage],
                    "api_requests_per_minute": plan.api_requests_per_minute,
                }
            ).data
        )
