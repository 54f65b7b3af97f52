"""The subscriptions context's published language.

Every event's ordering key is the vendor (``aggregate = "vendor_id"``): a consumer sees
one vendor's subscription history in order, across re-subscriptions. Consumers: the
vendors context (activates / suspends the vendor, drops its cached plan limits);
notifications are expected to subscribe (receipts, dunning mail).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from bazaar_platform.events import IntegrationEvent


class SubscriptionActivated(IntegrationEvent):
    """A subscription became active: first payment made, free plan chosen, a trial
    started, or a past-due subscription paid."""

    event_type: ClassVar[str] = "subscriptions.subscription_activated"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    subscription_id: UUID
    vendor_id: UUID
    plan_code: str
    current_period_end: datetime | None
    reactivated: bool  # True when it was past due before


class SubscriptionRenewed(IntegrationEvent):
    event_type: ClassVar[str] = "subscriptions.subscription_renewed"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    subscription_id: UUID
    vendor_id: UUID
    plan_code: str
    current_period_end: datetime


class SubscriptionPastDue(IntegrationEvent):
    """The period ended unpaid; the vendor keeps working until ``grace_until``."""

    event_type: ClassVar[str] = "subscriptions.subscription_past_due"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    subscription_id: UUID
    vendor_id: UUID
    plan_code: str
    grace_until: datetime


class SubscriptionCancelled(IntegrationEvent):
    event_type: ClassVar[str] = "subscriptions.subscription_cancelled"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    subscription_id: UUID
    vendor_id: UUID
    plan_code: str
    reason: str  # "vendor_request" | "abandoned" | "staff"


class SubscriptionExpired(IntegrationEvent):
    """The grace period ran out unpaid."""

    event_type: ClassVar[str] = "subscriptions.subscription_expired"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    subscription_id: UUID
    vendor_id: UUID
    plan_code: str


class PlanChanged(IntegrationEvent):
    """The plan in force changed (an upgrade paid, or a downgrade reached its date)."""

    event_type: ClassVar[str] = "subscriptions.plan_changed"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    subscription_id: UUID
    vendor_id: UUID
    old_plan_code: str
    new_plan_code: str
    direction: str  # "upgrade" | "downgrade"


ALL_EVENTS: tuple[type[IntegrationEvent], ...] = (
    SubscriptionActivated,
    SubscriptionRenewed,
    SubscriptionPastDue,
    SubscriptionCancelled,
    SubscriptionExpired,
    PlanChanged,
)
