"""Reads of the auth context."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from contexts.auth.models import RoleAssignment, SocialIdentity, User


def user_get(*, user_id: UUID) -> User | None:
    return User.objects.filter(pk=user_id).first()


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


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
