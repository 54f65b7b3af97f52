"""Remembered consent: which scopes a user approved for which application."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from bazaar_platform.api.errors import NotFoundError
from bazaar_platform.events import publish
from contexts.auth.events import AppAccessRevoked, AppAuthorized
from contexts.auth.models import OAuthApplication, OAuthConsent
from contexts.auth.services.oauth.revocation import tokens_revoke
from contexts.auth.services.oauth.scopes import scope_list


def consent_record(
    *, user_id: UUID, application: OAuthApplication, scopes: Iterable[str]
) -> OAuthConsent:
    """Add ``scopes`` to what the user approved for ``application`` (idempotent).

    Publishes ``auth.app_authorized`` when the approval adds something (a first
    authorization, or new scopes); a repeated approval of covered scopes is silent.
    """
    requested = set(scopes)
    with transaction.atomic():
        consent, created = OAuthConsent.objects.select_for_update().get_or_create(
            user_id=user_id, application=application, defaults={"scope": ""}
        )
        before = consent.scopes
        after = before | requested
        if created or after != before:
            consent.scope = " ".join(scope_list(after))
            consent.updated_at = timezone.now()
            consent.save(update_fields=["scope", "updated_at"])
            publish(
                AppAuthorized(
                    user_id=user_id,
                    client_id=application.client_id,
                    application_name=application.name,
                    scopes=scope_list(after),
                    added_scopes=scope_list(after - before),
                )
            )
    return consent


def authorization_revoke(*, user_id: UUID, application: OAuthApplication, by: str) -> int:
    """The user (or staff) withdraws an application's access: the consent goes and every
    token of the pair is revoked. Returns the number of access tokens revoked.

    Raises ``NotFoundError`` when the user never authorised the application.
    """
    with transaction.atomic():
        deleted, _ = OAuthConsent.objects.filter(user_id=user_id, application=application).delete()
        revoked = tokens_revoke(user_id=user_id, application=application, reason="access_revoked")
        if not deleted and not revoked:
            raise NotFoundError("You have not authorised this application.")
        publish(
            AppAccessRevoked(
                user_id=user_id, client_id=application.client_id, by=by, revoked_tokens=revoked
            )
        )
    return revoked


def authorizations_revoke_all(*, user_id: UUID, by: str) -> int:
    """Every application loses the user's access (deactivation). Returns tokens revoked."""
    total = 0
    with transaction.atomic():
        for consent in OAuthConsent.objects.filter(user_id=user_id).select_related("application"):
            total += authorization_revoke(user_id=user_id, application=consent.application, by=by)
        total += tokens_revoke(user_id=user_id, application=None, reason=by)
    return total
