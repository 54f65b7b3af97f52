"""Input and output shapes of the orders API (money: integer minor units + currency)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from contexts.orders.models import CustomerOrder, OrderLine, ReturnRequest, VendorOrder


# --- cart ------------------------------------------------------------------------------------
class CartLineInput(serializers.Serializer[Any]):
    listing_id = serializers.UUIDField()
    quantity = serializers.IntegerField()


class CartQuantityInput(serializers.Serializer[Any]):
    quantity = serializers.IntegerField()


class CartChangeOutput(serializers.Serializer[Any]):
    listing_id = serializers.UUIDField()
    kind = serializers.CharField()
    message = serializers.CharField()
    old = serializers.IntegerField(allow_null=True)
    new = serializers.IntegerField(allow_null=True)


class CartLineOutput(serializers.Serializer[Any]):
    listing_id = serializers.UUIDField()
    quantity = serializers.IntegerField()
    title = serializers.CharField()
    sku = serializers.CharField()
    store_id = serializers.UUIDField(allow_null=True)
    vendor_id = serializers.UUIDField(allow_null=True)
    product_id = serializers.UUIDField(allow_null=True)
    unit_price_minor = serializers.IntegerField()
    currency = serializers.CharField()
    total_minor = serializers.IntegerField()
    available = serializers.IntegerField()
    is_purchasable = serializers.BooleanField()


class CartOutput(serializers.Serializer[Any]):
    cart_id = serializers.UUIDField()
    token = serializers.CharField(
        help_text="An anonymous cart's token: send it back as the X-Cart-Token header "
        "(also after logging in, to merge the cart into the customer's). Empty for a "
        "customer's cart."
    )
    lines = CartLineOutput(many=True)
    changes = CartChangeOutput(many=True)
    currency = serializers.CharField()
    total_minor = serializers.IntegerField()


# --- checkout and orders --------------------------------------------------------------------
class AddressInput(serializers.Serializer[Any]):
    full_name = serializers.CharField(required=False, allow_blank=True)
    line1 = serializers.CharField(required=False, allow_blank=True)
    line2 = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(required=False, allow_blank=True)
    region = serializers.CharField(required=False, allow_blank=True)
    postal_code = serializers.CharField(required=False, allow_blank=True)
    country = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)


class CheckoutInput(serializers.Serializer[Any]):
    shipping_address = AddressInput(
        help_text="full_name, line1, city, postal_code, country required"
    )


class OrderLineOutput(serializers.ModelSerializer[OrderLine]):
    line_id = serializers.UUIDField(source="id")
    total_minor = serializers.IntegerField()

    class Meta:
        model = OrderLine
        fields = [
            "line_id",
            "listing_id",
            "product_id",
            "variant_id",
            "sku",
            "title",
            "condition",
            "unit_price_minor",
            "quantity",
            "returned_quantity",
            "total_minor",
        ]


class ReturnLineOutput(serializers.Serializer[Any]):
    line_id = serializers.UUIDField(source="order_line_id")
    quantity = serializers.IntegerField()


class ReturnOutput(serializers.ModelSerializer[ReturnRequest]):
    return_id = serializers.UUIDField(source="id")
    lines = ReturnLineOutput(many=True)

    class Meta:
        model = ReturnRequest
        fields = [
            "return_id",
            "vendor_order_id",
            "status",
            "reason",
            "rejection_reason",
            "refund_amount_minor",
            "restock",
            "lines",
            "created_at",
            "decided_at",
        ]


class VendorOrderOutput(serializers.ModelSerializer[VendorOrder]):
    vendor_order_id = serializers.UUIDField(source="id")
    lines = OrderLineOutput(many=True)
    returns = ReturnOutput(many=True)

    class Meta:
        model = VendorOrder
        fields = [
            "vendor_order_id",
            "order_id",
            "vendor_id",
            "store_id",
            "status",
            "currency",
            "subtotal_minor",
            "refunded_minor",
            "carrier",
            "tracking_number",
            "accepted_at",
            "packed_at",
            "shipped_at",
            "delivered_at",
            "cancelled_at",
            "created_at",
            "lines",
            "returns",
        ]


class VendorSideOrderOutput(VendorOrderOutput):
    """What a vendor sees: its own part of the order and where to ship it."""

    shipping_address = serializers.JSONField(source="order.shipping_address")

    class Meta(VendorOrderOutput.Meta):
        fields = [*VendorOrderOutput.Meta.fields, "shipping_address"]


class OrderOutput(serializers.ModelSerializer[CustomerOrder]):
    order_id = serializers.UUIDField(source="id")
    vendor_orders = VendorOrderOutput(many=True)

    class Meta:
        model = CustomerOrder
        fields = [
            "order_id",
            "status",
            "currency",
            "total_minor",
            "refunded_minor",
            "shipping_address",
            "payment_id",
            "payment_url",
            "expires_at",
            "paid_at",
            "cancelled_at",
            "cancel_reason",
            "created_at",
            "vendor_orders",
        ]


class OrderListQuery(serializers.Serializer[Any]):
    status = serializers.CharField(required=False)


class ShipInput(serializers.Serializer[Any]):
    carrier = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=100)


class ReturnLineInput(serializers.Serializer[Any]):
    line_id = serializers.UUIDField()
    quantity = serializers.IntegerField()


class ReturnRequestInput(serializers.Serializer[Any]):
    lines = ReturnLineInput(many=True, allow_empty=False)
    reason = serializers.CharField(max_length=1000)


class ReturnApproveInput(serializers.Serializer[Any]):
    refund_amount_minor = serializers.IntegerField(
        required=False, allow_null=True, help_text="Default: the returned lines' full price."
    )
    restock = serializers.BooleanField(default=False)


class ReturnRejectInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=1000)
