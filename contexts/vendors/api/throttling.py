"""Rate limits of the vendors API.

* :class:`PlanRateThrottle`: a vendor's API calls (all its members together) are
  limited to its plan's ``api_requests_per_minute``: a sliding window in Redis shared
  by every process (:mod:`bazaar_platform.ratelimit`). The plan limit comes from the
  subscriptions facade and the caller's vendor from the database, both cached briefly
  (``VENDORS_PLAN_LIMITS_CACHE_SECONDS``) and dropped when they change.
* :class:`RegisterRateThrottle`: registrations per client IP.

Both leave their decision on the request; :class:`VendorApiMixin` writes the
``RateLimit-*`` headers on every response, refused (429) or not.
"""

from __future__ import annotations

from typing import Any, NoReturn
from uuid import UUID

import structlog
from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from bazaar_platform import ratelimit
from bazaar_platform.tokens.permissions import principal_user_id
from contexts.subscriptions import facade as subscriptions
from contexts.vendors.selectors import membership_for_user
from contexts.vendors.services.cache import cached, limits_key, membership_key

log = structlog.get_logger("bazaar.vendors.throttle")

DECISION_ATTR = "_bazaar_rate_decision"
MESSAGE_ATTR = "_bazaar_rate_message"
NO_VENDOR = ""  # cached for users who belong to no vendor


class RateLimitUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "rate_limit_unavailable"
    default_detail = "The rate limiter cannot be reached; try again shortly."


def caller_vendor_id(user_id: UUID) -> UUID | None:
    ttl = settings.VENDORS_PLAN_LIMITS_CACHE_SECONDS

    def load() -> str:
        member = membership_for_user(user_id=user_id)
        return str(member.vendor_id) if member is not None else NO_VENDOR

    value = cached(membership_key(user_id), ttl, load)
    return UUID(value) if value else None


def plan_rate(vendor_id: UUID) -> tuple[int, str]:
    ttl = settings.VENDORS_PLAN_LIMITS_CACHE_SECONDS

    def load() -> tuple[int, str]:
        limits = subscriptions.plan_limits_for(vendor_id=vendor_id)
        return limits.api_requests_per_minute, limits.plan_code

    limit, plan = cached(limits_key(vendor_id), ttl, load)
    return int(limit), str(plan)


class _DecisionThrottle(BaseThrottle):
    decision: ratelimit.Decision | None = None
    message = ""

    def _hit(self, request: Request, key: str, limit: int) -> bool:
        try:
            decision = ratelimit.hit(key, limit=limit, window_seconds=60)
        except ratelimit.RateLimitUnavailableError as exc:
            log.warning("rate_limiter_unavailable", error=str(exc))
            if settings.VENDORS_RATE_LIMIT_FAIL_OPEN:
                return True
            raise RateLimitUnavailable() from None
        self.decision = decision
        setattr(request, DECISION_ATTR, decision)
        if not decision.allowed:
            setattr(request, MESSAGE_ATTR, self.message)
        return decision.allowed

    def wait(self) -> float | None:
        return float(self.decision.retry_after) if self.decision is not None else None


class PlanRateThrottle(_DecisionThrottle):
    def allow_request(self, request: Request, view: APIView) -> bool:
        user_id = principal_user_id(request.user)
        if user_id is None:
            return True
        vendor_id = caller_vendor_id(user_id)
        if vendor_id is None:
            return True  # not a vendor member: the view refuses it anyway
        limit, plan = plan_rate(vendor_id)
        self.message = (
            f"Your {plan} plan allows {limit} API requests per minute; "
            "wait for Retry-After seconds or upgrade your plan."
        )
        return self._hit(request, f"vendor-api:{vendor_id}", limit)


class RegisterRateThrottle(_DecisionThrottle):
    def allow_request(self, request: Request, view: APIView) -> bool:
        meta = settings.AUTH_CLIENT_IP_META or "REMOTE_ADDR"
        ip = str(request.META.get(meta, "") or "unknown")[:64]
        limit = settings.VENDORS_REGISTER_RATE_PER_MINUTE
        self.message = f"At most {limit} registrations per minute from one address."
        return self._hit(request, f"vendor-register:{ip}", limit)


class VendorApiMixin(APIView):
    """Adds the ``RateLimit-*`` headers of the request's throttle decision and words the
    429 after the throttle that refused it."""

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        decision = getattr(request, DECISION_ATTR, None)
        detail = getattr(request, MESSAGE_ATTR, None)
        raise exceptions.Throttled(
            wait=decision.retry_after if decision is not None else wait, detail=detail
        )

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        decision = getattr(request, DECISION_ATTR, None)
        if decision is not None:
            for name, value in decision.headers().items():
                response[name] = value
        return response
