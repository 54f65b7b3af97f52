"""Plan limits and the usage read model."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db import transaction

from bazaar_platform.api.errors import ApplicationError
from contexts.subscriptions.models import Plan, Resource, VendorUsage
from contexts.subscriptions.selectors import plan_get, subscription_live_for_vendor


class PlanLimitReachedError(ApplicationError):
    """Creating one more of ``resource`` would exceed the plan. 403: the request is
    understood and valid, the plan does not allow it (upgrading does)."""

    status_code = 403
    code = "plan_limit_reached"

    def __init__(
        self, message: str, *, resource: str, limit: int, used: int, plan_code: str
    ) -> None:
        super().__init__(
            message,
            extra={"limit": {"resource": resource, "max": limit, "used": used, "plan": plan_code}},
        )


def plan_in_force(*, vendor_id: UUID) -> Plan:
    """The plan whose limits apply to ``vendor_id``: its live subscription's plan (also
    while pending payment or past due), else the default plan (``SUBSCRIPTIONS_DEFAULT_PLAN``)."""
    sub = subscription_live_for_vendor(vendor_id=vendor_id)
    if sub is not None:
        return sub.plan
    plan = plan_get(code=settings.SUBSCRIPTIONS_DEFAULT_PLAN)
    if plan is None:
        raise ApplicationError("No plan applies to this vendor.", code="no_plan", status_code=503)
    return plan


def limit_check(*, vendor_id: UUID, resource: str, current_count: int) -> None:
    """Refuse (403 ``plan_limit_reached``, naming the limit) when one more ``resource``
    than ``current_count`` would exceed the vendor's plan."""
    if resource not in Resource.values:
        raise ValueError(f"unknown resource {resource!r}")
    plan = plan_in_force(vendor_id=vendor_id)
    allowed = plan.limit_of(resource)
    if current_count + 1 > allowed:
        label = Resource(resource).label.lower()
        raise PlanLimitReachedError(
            f"Your {plan.name} plan allows {allowed} {label} and you have {current_count}. "
            f"Upgrade your plan to add more.",
            resource=resource,
            limit=allowed,
            used=current_count,
            plan_code=plan.code,
        )


def usage_record(*, vendor_id: UUID, resource: str, count: int, as_of: datetime) -> bool:
    """Store ``count`` as the vendor's use of ``resource`` unless a newer count is stored
    (events may arrive out of order). Returns whether it was stored."""
    if resource not in Resource.values or count < 0:
        raise ValueError(f"bad usage {resource!r}={count!r}")
    with transaction.atomic():
        row, created = VendorUsage.objects.select_for_update().get_or_create(
            vendor_id=vendor_id, resource=resource, defaults={"count": count, "as_of": as_of}
        )
        if created:
            return True
        if as_of < row.as_of:
            return False
        row.count = count
        row.as_of = as_of
        row.save(update_fields=["count", "as_of"])
    return True
