"""The orders API: one thin view per operation.

Customers reach only their own cart and orders (every read and write is filtered by the
caller's user id; another customer's ids answer 404). Vendors reach only their own
vendor orders and returns: the vendor is resolved from the caller's membership, never
from the URL.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.errors import ApplicationError, NotFoundError
from bazaar_platform.api.views import BazaarAPIView, BazaarListAPIView
from bazaar_platform.tokens.permissions import (
    InsufficientScopeError,
    IsCustomer,
    IsVendor,
    granted_scopes,
    principal_user_id,
)
from contexts.orders.api import serializers as s
from contexts.orders.models import (
    CustomerOrder,
    OrderStatus,
    ReturnRequest,
    ReturnStatus,
    VendorOrder,
    VendorOrderStatus,
)
from contexts.orders.selectors import (
    order_get_for_customer,
    order_list_for_customer,
    return_list_for_vendor,
    vendor_order_get_for_vendor,
    vendor_order_list_for_vendor,
)
from contexts.orders.services import carts, fulfilment, lifecycle, returns
from contexts.orders.services.checkout import checkout
from contexts.vendors import facade as vendors

CART_TOKEN = OpenApiParameter(
    "X-Cart-Token",
    location=OpenApiParameter.HEADER,
    required=False,
    description="An anonymous cart's token (from a previous cart answer).",
)


def _validated(serializer_class: type[Any], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _user_id(request: Request) -> UUID:
    user_id = principal_user_id(request.user)
    if user_id is None:
        raise NotFoundError("There is no such order.")
    return user_id


def _vendor_id(request: Request) -> UUID:
    user_id = principal_user_id(request.user)
    membership = vendors.vendor_membership_for_user(user_id=user_id) if user_id else None
    if membership is None:
        raise ApplicationError(
            "This account does not belong to a vendor.", code="not_a_vendor", status_code=403
        )
    return membership.vendor_id


def _status_filter(request: Request, choices: Any) -> str | None:
    value = request.query_params.get("status") or None
    if value is not None and value not in choices.values:
        raise ApplicationError(
            "Unknown status.",
            code="validation_error",
            fields={"status": [f"One of: {', '.join(choices.values)}."]},
        )
    return value


# --- cart -----------------------------------------------------------------------------------
class _CartApi(BazaarAPIView):
    """Anonymous visitors and customers alike (the X-Cart-Token header names a visitor's
    cart; a logged-in customer sending it has that cart merged into theirs).

    A third-party application acting for a customer (an OAuth access token of ours)
    reads the customer's cart with ``orders:read`` and changes it with ``orders:write``
    ("Create carts, check out and manage the user's orders"); without the scope it gets
    403 ``insufficient_scope`` naming it."""

    permission_classes = [AllowAny]

    def cart(self, request: Request) -> Any:
        held = granted_scopes(request.user)
        if held is not None:
            needed = "orders:read" if request.method in SAFE_METHODS else "orders:write"
            if needed not in held:
                raise InsufficientScopeError([needed])
        user_id = principal_user_id(request.user) if request.user.is_authenticated else None
        return carts.cart_resolve(
            customer_user_id=user_id, token=request.headers.get("X-Cart-Token") or None
        )

    def render_cart(self, cart: Any, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(s.CartOutput(carts.cart_read(cart=cart)).data, status=status_code)


class CartDetailApi(_CartApi):
    @extend_schema(
        parameters=[CART_TOKEN],
        responses={200: s.CartOutput},
        summary="The cart, re-checked (prices, availability) with what changed",
    )
    def get(self, request: Request) -> Response:
        return self.render_cart(self.cart(request))


class CartLineAddApi(_CartApi):
    @extend_schema(
        parameters=[CART_TOKEN],
        request=s.CartLineInput,
        responses={200: s.CartOutput},
        summary="Add a listing to the cart (quantities add up)",
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.CartLineInput, request.data)
        cart = self.cart(request)
        carts.cart_line_set(
            cart=cart, listing_id=data["listing_id"], quantity=data["quantity"], add=True
        )
        return self.render_cart(cart)


class CartLineUpdateApi(_CartApi):
    @extend_schema(
        parameters=[CART_TOKEN],
        request=s.CartQuantityInput,
        responses={200: s.CartOutput},
        summary="Set a cart line's quantity",
    )
    def post(self, request: Request, listing_id: UUID) -> Response:
        data = _validated(s.CartQuantityInput, request.data)
        cart = self.cart(request)
        if not cart.lines.filter(listing_id=listing_id).exists():
            raise NotFoundError("This listing is not in the cart.", code="not_in_cart")
        carts.cart_line_set(cart=cart, listing_id=listing_id, quantity=data["quantity"])
        return self.render_cart(cart)


class CartLineRemoveApi(_CartApi):
    @extend_schema(
        parameters=[CART_TOKEN],
        request=None,
        responses={200: s.CartOutput},
        summary="Remove a listing from the cart",
    )
    def post(self, request: Request, listing_id: UUID) -> Response:
        cart = self.cart(request)
        carts.cart_line_remove(cart=cart, listing_id=listing_id)
        return self.render_cart(cart)


class CartClearApi(_CartApi):
    @extend_schema(
        parameters=[CART_TOKEN],
        request=None,
        responses={200: s.CartOutput},
        summary="Empty the cart",
    )
    def post(self, request: Request) -> Response:
        cart = self.cart(request)
        carts.cart_clear(cart=cart)
        return self.render_cart(cart)


# --- checkout and the customer's orders ----------------------------------------------------
class CheckoutApi(BazaarAPIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        request=s.CheckoutInput,
        responses={201: s.OrderOutput, 200: s.OrderOutput},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                location=OpenApiParameter.HEADER,
                required=True,
                description="A unique key per checkout (a UUID): the same key and body return "
                "the same order (200); the same key with another body is refused (422).",
            )
        ],
        summary="Check out the cart: reserve the stock, split per store, get a payment link",
    )
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        result = checkout(
            customer_user_id=_user_id(request),
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            shipping_address=data.get("shipping_address"),
        )
        # a new order comes back with its parts (nothing to read again); a replay is read
        order = (
            result.order
            if result.created
            else order_get_for_customer(
                customer_user_id=result.order.customer_user_id, order_id=result.order.pk
            )
        )
        headers = {} if result.created else {"Idempotent-Replayed": "true"}
        return Response(
            s.OrderOutput(order).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
            headers=headers,
        )


class OrderListApi(BazaarListAPIView):
    permission_classes = [IsCustomer]
    serializer_class = s.OrderOutput
    extra_query_params = frozenset({"status"})

    def get_queryset(self) -> QuerySet[CustomerOrder]:
        if getattr(self, "swagger_fake_view", False):
            return CustomerOrder.objects.none()
        return order_list_for_customer(
            customer_user_id=_user_id(self.request),
            status=_status_filter(self.request, OrderStatus),
        )

    @extend_schema(
        summary="My orders, newest first",
        parameters=[OpenApiParameter("status", str, enum=OrderStatus.values)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _my_order(request: Request, order_id: UUID) -> CustomerOrder:
    order = order_get_for_customer(customer_user_id=_user_id(request), order_id=order_id)
    if order is None:
        raise NotFoundError("There is no such order.")
    return order


class OrderDetailApi(BazaarAPIView):
    permission_classes = [IsCustomer]

    @extend_schema(responses={200: s.OrderOutput}, summary="One of my orders, per vendor order")
    def get(self, request: Request, order_id: UUID) -> Response:
        return Response(s.OrderOutput(_my_order(request, order_id)).data)


class OrderCancelApi(BazaarAPIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        request=None,
        responses={200: s.OrderOutput},
        summary="Cancel an order before anything shipped (stock released, paid money refunded)",
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        lifecycle.order_cancel(
            order_id=order_id, reason="customer", customer_user_id=_user_id(request)
        )
        return Response(s.OrderOutput(_my_order(request, order_id)).data)


class ReturnRequestApi(BazaarAPIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        request=s.ReturnRequestInput,
        responses={201: s.ReturnOutput},
        summary="Ask to return delivered lines of a vendor order",
    )
    def post(self, request: Request, order_id: UUID, vendor_order_id: UUID) -> Response:
        order = _my_order(request, order_id)
        if not order.vendor_orders.filter(pk=vendor_order_id).exists():
            raise NotFoundError("There is no such vendor order.")
        data = _validated(s.ReturnRequestInput, request.data)
        ret = returns.return_request(
            customer_user_id=order.customer_user_id,
            vendor_order_id=vendor_order_id,
            lines=[returns.ReturnLineInput(**line) for line in data["lines"]],
            reason=data["reason"],
        )
        return Response(s.ReturnOutput(ret).data, status=status.HTTP_201_CREATED)


# --- the vendor's side --------------------------------------------------------------------
class VendorOrderListApi(BazaarListAPIView):
    permission_classes = [IsVendor]
    serializer_class = s.VendorSideOrderOutput
    extra_query_params = frozenset({"status"})

    def get_queryset(self) -> QuerySet[VendorOrder]:
        if getattr(self, "swagger_fake_view", False):
            return VendorOrder.objects.none()
        return vendor_order_list_for_vendor(
            vendor_id=_vendor_id(self.request),
            status=_status_filter(self.request, VendorOrderStatus),
        )

    @extend_schema(
        summary="My vendor orders (to fulfil), newest first",
        parameters=[OpenApiParameter("status", str, enum=VendorOrderStatus.values)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _vendor_order_answer(request: Request, vendor_id: UUID, vendor_order_id: UUID) -> Response:
    vendor_order = vendor_order_get_for_vendor(vendor_id=vendor_id, vendor_order_id=vendor_order_id)
    if vendor_order is None:
        raise NotFoundError("There is no such vendor order.")
    return Response(s.VendorSideOrderOutput(vendor_order).data)


class VendorOrderDetailApi(BazaarAPIView):
    permission_classes = [IsVendor]

    @extend_schema(responses={200: s.VendorSideOrderOutput}, summary="One of my vendor orders")
    def get(self, request: Request, vendor_order_id: UUID) -> Response:
        return _vendor_order_answer(request, _vendor_id(request), vendor_order_id)


class _VendorOrderStepApi(BazaarAPIView):
    permission_classes = [IsVendor]
    step: Any = None

    def run(self, request: Request, vendor_order_id: UUID, **kwargs: Any) -> Response:
        vendor_id = _vendor_id(request)
        type(self).step(vendor_id=vendor_id, vendor_order_id=vendor_order_id, **kwargs)
        return _vendor_order_answer(request, vendor_id, vendor_order_id)


class VendorOrderAcceptApi(_VendorOrderStepApi):
    step = fulfilment.vendor_order_accept

    @extend_schema(
        request=None, responses={200: s.VendorSideOrderOutput}, summary="Accept a paid vendor order"
    )
    def post(self, request: Request, vendor_order_id: UUID) -> Response:
        return self.run(request, vendor_order_id)


class VendorOrderPackApi(_VendorOrderStepApi):
    step = fulfilment.vendor_order_pack

    @extend_schema(
        request=None,
        responses={200: s.VendorSideOrderOutput},
        summary="Mark an accepted vendor order packed",
    )
    def post(self, request: Request, vendor_order_id: UUID) -> Response:
        return self.run(request, vendor_order_id)


class VendorOrderShipApi(_VendorOrderStepApi):
    step = fulfilment.vendor_order_ship

    @extend_schema(
        request=s.ShipInput,
        responses={200: s.VendorSideOrderOutput},
        summary="Ship a packed vendor order (carrier and tracking number)",
    )
    def post(self, request: Request, vendor_order_id: UUID) -> Response:
        data = _validated(s.ShipInput, request.data)
        return self.run(request, vendor_order_id, **data)


class VendorOrderDeliverApi(_VendorOrderStepApi):
    step = fulfilment.vendor_order_deliver

    @extend_schema(
        request=None,
        responses={200: s.VendorSideOrderOutput},
        summary="Mark a shipped vendor order delivered",
    )
    def post(self, request: Request, vendor_order_id: UUID) -> Response:
        return self.run(request, vendor_order_id)


class VendorReturnListApi(BazaarListAPIView):
    permission_classes = [IsVendor]
    serializer_class = s.ReturnOutput
    extra_query_params = frozenset({"status"})

    def get_queryset(self) -> QuerySet[ReturnRequest]:
        if getattr(self, "swagger_fake_view", False):
            return ReturnRequest.objects.none()
        return return_list_for_vendor(
            vendor_id=_vendor_id(self.request), status=_status_filter(self.request, ReturnStatus)
        )

    @extend_schema(
        summary="Returns asked of me",
        parameters=[OpenApiParameter("status", str, enum=ReturnStatus.values)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class VendorReturnApproveApi(BazaarAPIView):
    permission_classes = [IsVendor]

    @extend_schema(
        request=s.ReturnApproveInput,
        responses={200: s.ReturnOutput},
        summary="Approve a return: refund (partial or full) and optionally restock",
    )
    def post(self, request: Request, return_id: UUID) -> Response:
        data = _validated(s.ReturnApproveInput, request.data)
        ret = returns.return_approve(
            vendor_id=_vendor_id(request),
            return_id=return_id,
            refund_amount_minor=data.get("refund_amount_minor"),
            restock=data["restock"],
        )
        return Response(s.ReturnOutput(ret).data)


class VendorReturnRejectApi(BazaarAPIView):
    permission_classes = [IsVendor]

    @extend_schema(
        request=s.ReturnRejectInput, responses={200: s.ReturnOutput}, summary="Reject a return"
    )
    def post(self, request: Request, return_id: UUID) -> Response:
        data = _validated(s.ReturnRejectInput, request.data)
        ret = returns.return_reject(
            vendor_id=_vendor_id(request), return_id=return_id, reason=data["reason"]
        )
        return Response(s.ReturnOutput(ret).data)
