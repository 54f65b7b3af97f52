"""Celery tasks of the auth context: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from contexts.auth.services.keys import signing_key_rotate_if_due


@shared_task(name="auth.rotate_signing_key_if_due", ignore_result=True)
def rotate_signing_key_if_due() -> str | None:
    """Beat (CELERY_BEAT_SCHEDULE): rotate the signing key once it is older than the period."""
    rotated = signing_key_rotate_if_due()
    return rotated.kid if rotated is not None else None
