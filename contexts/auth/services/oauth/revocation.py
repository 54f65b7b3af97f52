"""Revoking third-party tokens, and telling every verifier about it.

django-oauth-toolkit revokes an access token by deleting its row, from many places:
the RFC 7009 endpoint, refresh rotation (the previous access token), refresh-token
replay (the whole family), the admin's revoke action, an application's or user's
deletion (cascade). One ``pre_delete`` receiver on the access-token model covers them
all: for a token that has not expired yet it publishes ``auth.token_revoked`` through
the outbox, in the deleting transaction; the auth context's handler puts the ``jti``
on the platform's deny list, so every context refuses the JWT within one event
delivery. Callers name the reason with :func:`revoking`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

import structlog
from django.db import transaction
from django.db.models.signals import pre_delete
from django.utils import timezone

from bazaar_platform.events import publish
from contexts.auth.events import TokenRevoked
from contexts.auth.models import (
    OAuthAccessToken,
    OAuthApplication,
    OAuthGrant,
    OAuthIDToken,
    OAuthRefreshToken,
)

log = structlog.get_logger("bazaar.auth.oauth")

_reason: ContextVar[str] = ContextVar("oauth_revocation_reason", default="revoked")


@contextmanager
def revoking(reason: str) -> Iterator[None]:
    """Name why access tokens deleted inside this block are revoked (for the event)."""
    token = _reason.set(reason)
    try:
        yield
    finally:
        _reason.reset(token)


def _client_id(application_id: int | None) -> str:
    if application_id is None:
        return ""
    value = (
        OAuthApplication.objects.filter(pk=application_id)
        .values_list("client_id", flat=True)
        .first()
    )
    return str(value or "")


def on_access_token_deleting(sender: Any, instance: OAuthAccessToken, **kwargs: Any) -> None:
    """``pre_delete`` receiver: a live token's ``jti`` goes on the deny list (via an event)."""
    if not instance.jti or instance.expires <= timezone.now():
        return  # expired tokens verify nowhere anyway (the clean-up deletes them)
    publish(
        TokenRevoked(
            jti=instance.jti,
            expires_at=instance.expires,
            user_id=instance.user_id,
            client_id=_client_id(instance.application_id),
            reason=_reason.get(),
        )
    )


def connect_signals() -> None:
    pre_delete.connect(
        on_access_token_deleting,
        sender=OAuthAccessToken,
        dispatch_uid="auth.oauth.access_token_revoked",
    )


def token_family_revoke(*, family: UUID, reason: str) -> None:
    """Revoke a refresh-token family and delete the access tokens it produced."""
    with transaction.atomic(), revoking(reason):
        OAuthRefreshToken.revoke_family(family)
    log.warning("oauth_token_family_revoked", family=str(family), reason=reason)


def tokens_revoke(*, user_id: UUID, application: OAuthApplication | None, reason: str) -> int:
    """Revoke every token ``user_id`` gave ``application`` (every application if None).

    Refresh tokens are marked revoked (kept, so a replay is still recognised); access
    and ID tokens and unused authorization codes are deleted. Returns the number of
    access tokens revoked.
    """
    scope: dict[str, Any] = {"user_id": user_id}
    if application is not None:
        scope["application"] = application
    with transaction.atomic(), revoking(reason):
        now = timezone.now()
        OAuthRefreshToken.objects.filter(revoked__isnull=True, **scope).update(
            revoked=now, updated=now
        )
        live = OAuthAccessToken.objects.filter(expires__gt=now, **scope).count()
        OAuthAccessToken.objects.filter(**scope).delete()
        OAuthIDToken.objects.filter(**scope).delete()
        OAuthGrant.objects.filter(used_at__isnull=True, **scope).delete()
    return live


def oauth_expired_clear() -> None:
    """Delete expired codes and tokens (the toolkit's ``clear_expired``; daily beat task).

    Expired access tokens verify nowhere, so their deletion announces nothing. Spent
    codes stay until the end of their replay window.
    """
    from oauth2_provider.models import clear_expired

    with revoking("expired"):
        clear_expired()
