"""Reactions of the vendors context to other contexts' events.

The subscriptions context decides whether a vendor has paid; the vendor's own status
follows: active when its subscription activates, suspended when it expires or is
cancelled. Each also drops the vendor's cached plan limits (the API throttle reads
them). The catalogue's product merges re-point the listings of the merged products
(services/merges.py). Handlers run once per event (inbox); the services are idempotent
besides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache

from bazaar_platform.events import IntegrationEvent
from contexts.catalog.events import ProductsMerged
from contexts.subscriptions.events import (
    PlanChanged,
    SubscriptionActivated,
    SubscriptionCancelled,
    SubscriptionExpired,
)
from contexts.vendors.services.cache import limits_key
from contexts.vendors.services.merges import listings_follow_merge
from contexts.vendors.services.vendors import vendor_activate, vendor_suspend


def on_subscription_activated_activate_vendor(event: SubscriptionActivated) -> None:
    vendor_activate(vendor_id=event.vendor_id)
    cache.delete(limits_key(event.vendor_id))


def on_subscription_expired_suspend_vendor(event: SubscriptionExpired) -> None:
    vendor_suspend(vendor_id=event.vendor_id, reason="subscription_expired")
    cache.delete(limits_key(event.vendor_id))


def on_subscription_cancelled_suspend_vendor(event: SubscriptionCancelled) -> None:
    vendor_suspend(vendor_id=event.vendor_id, reason="subscription_cancelled")
    cache.delete(limits_key(event.vendor_id))


def on_plan_changed_forget_limits(event: PlanChanged) -> None:
    cache.delete(limits_key(event.vendor_id))


def on_products_merged_repoint_listings(event: ProductsMerged) -> None:
    listings_follow_merge(
        target_product_id=event.target_product_id,
        merged_product_ids=event.merged_product_ids,
        variant_id_map=event.variant_id_map,
    )


HANDLERS: dict[type[IntegrationEvent], list[Callable[[Any], None]]] = {
    SubscriptionActivated: [on_subscription_activated_activate_vendor],
    SubscriptionExpired: [on_subscription_expired_suspend_vendor],
    SubscriptionCancelled: [on_subscription_cancelled_suspend_vendor],
    PlanChanged: [on_plan_changed_forget_limits],
    ProductsMerged: [on_products_merged_repoint_listings],
}
