"""Short-lived cache entries the vendor API reads on every request (membership of a user,
plan limits of a vendor), and their invalidation after commit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.cache import cache
from django.db import transaction


def membership_key(user_id: UUID) -> str:
    return f"vendors:membership:{user_id}"


def limits_key(vendor_id: UUID) -> str:
    return f"vendors:plan-limits:{vendor_id}"


def forget_membership(user_id: UUID) -> None:
    transaction.on_commit(lambda: cache.delete(membership_key(user_id)))


def forget_limits(vendor_id: UUID) -> None:
    transaction.on_commit(lambda: cache.delete(limits_key(vendor_id)))


def cached(key: str, ttl: int, load: Any) -> Any:
    value = cache.get(key)
    if value is None:
        value = load()
        cache.set(key, value, ttl)
    return value
