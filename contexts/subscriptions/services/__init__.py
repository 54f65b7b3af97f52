"""Writes of the subscriptions context (plans, lifecycle, billing, plan changes, usage)."""
