"""The orders context's synchronous API for other contexts.

Plain functions with keyword-only arguments returning plain values; other contexts
never see the order models. What happens to orders is published in
``contexts.orders.events``.
"""

from __future__ import annotations

from uuid import UUID

from contexts.orders import selectors

__all__ = ["customer_has_delivered_purchase"]


def customer_has_delivered_purchase(
    *,
    customer_user_id: UUID,
    product_id: UUID | None = None,
    store_id: UUID | None = None,
    vendor_id: UUID | None = None,
) -> bool:
    """True when the customer has at least one DELIVERED order line, not fully returned,
    matching every id given (product, store and/or vendor). With no id given: any
    delivered purchase at all. Reviews use it to mark a review "verified purchase"."""
    return selectors.delivered_purchase_exists(
        customer_user_id=customer_user_id,
        product_id=product_id,
        store_id=store_id,
        vendor_id=vendor_id,
    )
