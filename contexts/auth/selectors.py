"""Reads of the auth context."""

from __future__ import annotations

import hashlib
from uuid import UUID

from django.db.models import F, QuerySet

from contexts.auth.models import (
    OAuthAccessToken,
    OAuthApplication,
    OAuthConsent,
    OAuthRefreshToken,
    RefreshToken,
    RoleAssignment,
    SocialIdentity,
    User,
)


def user_get(*, user_id: UUID) -> User | None:
    return User.objects.filter(pk=user_id).first()


def user_email_get(*, user_id: UUID) -> str | None:
    email: str | None = User.objects.filter(pk=user_id).values_list("email", flat=True).first()
    return email


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def user_known_device(*, user_id: UUID, user_agent: str) -> bool | None:
    """Whether one of the account's sessions, past or present, came from ``user_agent``.

    ``None`` when the account never had a session (its first log-in is not "a new
    device"). The user agent is what a session records (first 200 characters).
    """
    sessions = RefreshToken.objects.filter(user_id=user_id)
    if not sessions.exists():
        return None
    return sessions.filter(user_agent=user_agent[:200]).exists()


def user_role_names(*, user_id: UUID) -> frozenset[str]:
    return frozenset(RoleAssignment.objects.filter(user_id=user_id).values_list("role", flat=True))


def user_list(*, email_contains: str | None = None) -> QuerySet[User]:
    users = User.objects.prefetch_related("role_assignments").order_by("email")
    if email_contains:
        users = users.filter(email__icontains=email_contains)
    return users


def social_identity_get(*, provider: str, subject: str) -> SocialIdentity | None:
    return (
        SocialIdentity.objects.select_related("user")
        .filter(provider=provider, subject=subject)
        .first()
    )


# --- OAuth provider --------------------------------------------------------------------------
def application_get(*, client_id: str) -> OAuthApplication | None:
    return OAuthApplication.objects.select_related("user").filter(client_id=client_id).first()


def application_list_for_owner(*, owner_id: UUID) -> QuerySet[OAuthApplication]:
    return OAuthApplication.objects.filter(user_id=owner_id).order_by("-created")


def application_get_for_owner(*, owner_id: UUID, client_id: str) -> OAuthApplication | None:
    return OAuthApplication.objects.filter(user_id=owner_id, client_id=client_id).first()


def consent_get(*, user_id: UUID, application_id: int) -> OAuthConsent | None:
    return OAuthConsent.objects.filter(user_id=user_id, application_id=application_id).first()


def consent_covers(*, user_id: UUID, application_id: int, scopes: list[str]) -> bool:
    """Whether the user already approved every scope in ``scopes`` for the application."""
    consent = consent_get(user_id=user_id, application_id=application_id)
    return consent is not None and set(scopes) <= consent.scopes


def consent_list_for_user(*, user_id: UUID) -> QuerySet[OAuthConsent]:
    """The applications a user has authorised (with their owners, for display)."""
    return (
        OAuthConsent.objects.filter(user_id=user_id)
        .select_related("application", "application__user")
        .order_by("-updated_at")
    )


def _checksum(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def access_token_by_value(*, token: str) -> OAuthAccessToken | None:
    """The row of a third-party access token (looked up by the JWT's SHA-256)."""
    return (
        OAuthAccessToken.objects.select_related("application", "user")
        .filter(token_checksum=_checksum(token))
        .first()
    )


def refresh_token_by_value(*, token: str) -> OAuthRefreshToken | None:
    return (
        OAuthRefreshToken.objects.select_related("access_token")
        .filter(token_checksum=_checksum(token))
        .order_by(F("revoked").desc(nulls_first=True))  # the live one, if any
        .first()
    )
