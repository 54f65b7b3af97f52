"""Persistence of the orders context: carts, customer orders split per store, returns.

Other contexts' things are referred to by UUID only (customer user, listing, product,
variant, store, vendor, payment, refund). An order line keeps a snapshot of what was
bought (title, SKU, unit price) so later listing changes never rewrite history.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


class Cart(models.Model):
    """A customer's cart, or an anonymous visitor's one (found by its signed token)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer_user_id = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"cart {self.pk}"


class CartLine(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    listing_id = models.UUIDField()
    quantity = models.PositiveIntegerField()
    # What the customer saw when adding: a later read reports a difference.
    seen_price_minor = models.BigIntegerField()
    seen_currency = models.CharField(max_length=3)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cart", "listing_id"], name="orders_cartline_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_cartline_qty_pos"),
        ]
        ordering = ["added_at", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.listing_id}"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Waiting for payment"
    PAID = "paid", "Paid"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class VendorOrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Waiting for payment"
    PAID = "paid", "Paid"
    ACCEPTED = "accepted", "Accepted"
    PACKED = "packed", "Packed"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class CustomerOrder(models.Model):
    """One checkout. Its id is the stock reservation's reference and the payment's
    reference id."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer_user_id = models.UUIDField(db_index=True)
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT
    )
    currency = models.CharField(max_length=3)
    total_minor = models.BigIntegerField()
    refunded_minor = models.BigIntegerField(default=0)
    shipping_address = models.JSONField()
    idempotency_key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    payment_id = models.UUIDField(null=True, blank=True)
    payment_url = models.URLField(max_length=1000, blank=True)
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer_user_id", "idempotency_key"], name="orders_order_idem_unique"
            ),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0) & Q(refunded_minor__lte=models.F("total_minor")),
                name="orders_order_refund_bounds",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="orders_order_expiry_idx")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"order {self.pk}"


class VendorOrder(models.Model):
    """One store's part of a customer order: what that vendor fulfils."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(CustomerOrder, on_delete=models.CASCADE, related_name="vendor_orders")
    customer_user_id = models.UUIDField(db_index=True)
    vendor_id = models.UUIDField(db_index=True)
    store_id = models.UUIDField()
    status = models.CharField(
        max_length=20,
        choices=VendorOrderStatus.choices,
        default=VendorOrderStatus.PENDING_PAYMENT,
    )
    currency = models.CharField(max_length=3)
    subtotal_minor = models.BigIntegerField()
    refunded_minor = models.BigIntegerField(default=0)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    packed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0)
                & Q(refunded_minor__lte=models.F("subtotal_minor")),
                name="orders_vendororder_refund_bounds",
            ),
        ]
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"vendor order {self.pk}"


class OrderLine(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vendor_order = models.ForeignKey(VendorOrder, on_delete=models.CASCADE, related_name="lines")
    listing_id = models.UUIDField()
    product_id = models.UUIDField(db_index=True)
    variant_id = models.UUIDField()
    store_id = models.UUIDField()
    vendor_id = models.UUIDField()
    sku = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=300)
    condition = models.CharField(max_length=20, blank=True)
    unit_price_minor = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    # Units with an approved return (never more than ``quantity``).
    returned_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_line_qty_pos"),
            models.CheckConstraint(
                condition=Q(returned_quantity__lte=models.F("quantity")),
                name="orders_line_returned_bounds",
            ),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.title}"

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ReturnRequest(models.Model):
    """A customer's request to send delivered lines of one vendor order back."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vendor_order = models.ForeignKey(VendorOrder, on_delete=models.CASCADE, related_name="returns")
    customer_user_id = models.UUIDField(db_index=True)
    vendor_id = models.UUIDField(db_index=True)
    status = models.CharField(
        max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED
    )
    reason = models.CharField(max_length=1000)
    rejection_reason = models.CharField(max_length=1000, blank=True)
    refund_amount_minor = models.BigIntegerField(default=0)
    restock = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"return {self.pk} ({self.status})"


class ReturnLine(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="return_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_returnline_qty_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x line {self.order_line_id}"


class RefundReason(models.TextChoices):
    CANCELLATION = "cancellation", "Cancellation"
    RETURN = "return", "Return"


class OrderRefund(models.Model):
    """Money of one vendor order sent back through the payments context.

    Written before the gateway call (``refund_id`` empty) so the amount is held against
    the refundable total; completed with the payments refund id afterwards.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vendor_order = models.ForeignKey(VendorOrder, on_delete=models.CASCADE, related_name="refunds")
    return_request = models.OneToOneField(
        ReturnRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="refund"
    )
    reason = models.CharField(max_length=20, choices=RefundReason.choices)
    amount_minor = models.BigIntegerField()
    idempotency_key = models.CharField(max_length=255, unique=True)
    payment_refund_id = models.UUIDField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="orders_refund_amount_pos"
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount_minor} of {self.vendor_order_id}"
