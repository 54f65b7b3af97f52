"""Subscription plans for other contexts' tests: a transactional test's flush removes the
plans the migrations created, and every plan-limit check needs them."""

from __future__ import annotations

from contexts.subscriptions.services.plans import plan_ensure_defaults


def ensure_plans() -> None:
    plan_ensure_defaults()
