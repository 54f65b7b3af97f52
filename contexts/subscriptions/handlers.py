"""Reactions of the subscriptions context to other contexts' events.

Payments: a succeeded payment for one of our charges pays it (activating, renewing or
upgrading the subscription); a failed one marks the charge's link dead so the next
checkout makes a new one. Payments for other purposes, unknown charges, duplicates and
failures reported after a success change nothing (each handler runs once per event
through the inbox; the services are idempotent besides).

Vendors: store, staff and listed-product counts feed the usage read model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from bazaar_platform.events import IntegrationEvent
from contexts.payments.events import PaymentFailed, PaymentSucceeded
from contexts.subscriptions.models import Resource
from contexts.subscriptions.services.billing import PAYMENT_PURPOSE
from contexts.subscriptions.services.lifecycle import charge_paid, charge_payment_failed
from contexts.subscriptions.services.usage import usage_record
from contexts.vendors.events import (
    ProductCountChanged,
    StaffMemberAdded,
    StaffMemberRemoved,
    StoreCreated,
    StoreDeleted,
)

log = structlog.get_logger("bazaar.subscriptions.handlers")


def on_payment_succeeded_pay_charge(event: PaymentSucceeded) -> None:
    if event.purpose != PAYMENT_PURPOSE:
        return
    outcome = charge_paid(
        charge_id=event.reference_id,
        payment_id=event.payment_id,
        amount_minor=event.amount_minor,
        currency=event.currency,
        now=event.occurred_at,
    )
    log.info("subscription_payment_succeeded", charge_id=str(event.reference_id), outcome=outcome)


def on_payment_failed_mark_charge(event: PaymentFailed) -> None:
    if event.purpose != PAYMENT_PURPOSE:
        return
    outcome = charge_payment_failed(
        charge_id=event.reference_id, payment_id=event.payment_id, reason=event.reason
    )
    log.info("subscription_payment_failed", charge_id=str(event.reference_id), outcome=outcome)


def on_store_created_count(event: StoreCreated) -> None:
    usage_record(
        vendor_id=event.vendor_id,
        resource=Resource.STORES,
        count=event.store_count,
        as_of=event.occurred_at,
    )


def on_store_deleted_count(event: StoreDeleted) -> None:
    usage_record(
        vendor_id=event.vendor_id,
        resource=Resource.STORES,
        count=event.store_count,
        as_of=event.occurred_at,
    )


def on_staff_added_count(event: StaffMemberAdded) -> None:
    usage_record(
        vendor_id=event.vendor_id,
        resource=Resource.STAFF_SEATS,
        count=event.staff_count,
        as_of=event.occurred_at,
    )


def on_staff_removed_count(event: StaffMemberRemoved) -> None:
    usage_record(
        vendor_id=event.vendor_id,
        resource=Resource.STAFF_SEATS,
        count=event.staff_count,
        as_of=event.occurred_at,
    )


def on_product_count_changed_count(event: ProductCountChanged) -> None:
    usage_record(
        vendor_id=event.vendor_id,
        resource=Resource.PRODUCTS,
        count=event.product_count,
        as_of=event.occurred_at,
    )


HANDLERS: dict[type[IntegrationEvent], list[Callable[[Any], None]]] = {
    PaymentSucceeded: [on_payment_succeeded_pay_charge],
    PaymentFailed: [on_payment_failed_mark_charge],
    StoreCreated: [on_store_created_count],
    StoreDeleted: [on_store_deleted_count],
    StaffMemberAdded: [on_staff_added_count],
    StaffMemberRemoved: [on_staff_removed_count],
    ProductCountChanged: [on_product_count_changed_count],
}
