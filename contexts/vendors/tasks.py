"""Celery tasks of the vendors context: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from contexts.vendors.services.onboarding import onboarding_stale_leases_release
from contexts.vendors.services.stock import reservations_expire


@shared_task(name="vendors.onboarding_stale_leases_release", ignore_result=True)
def vendors_onboarding_stale_leases_release() -> int:
    """Beat: onboardings whose process died mid-request (lease run out) are marked
    interrupted, so their status tells the truth; a retry with the key resumes them."""
    return onboarding_stale_leases_release()


@shared_task(name="vendors.reservations_expire", ignore_result=True)
def vendors_reservations_expire() -> int:
    """Beat: stock held by checkouts that never finished goes back on sale."""
    return reservations_expire()
