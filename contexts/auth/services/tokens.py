"""Access tokens (short-lived JWTs) and rotating refresh tokens (login sessions)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.tokens import create_token
from contexts.auth.models import RefreshToken, User
from contexts.auth.selectors import user_role_names
from contexts.auth.services.keys import current_signing_key

log = structlog.get_logger("bazaar.auth.tokens")

REFRESH_PREFIX = "rt_"


class InvalidRefreshTokenError(ApplicationError):
    status_code = 401
    code = "invalid_refresh_token"

    def __init__(self) -> None:
        super().__init__("The refresh token is invalid, expired or revoked; log in again.")


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_token_issue(*, user: User) -> tuple[str, int]:
    """A signed access JWT for ``user`` and its lifetime in seconds."""
    key = current_signing_key()
    now = timezone.now()
    ttl = int(settings.AUTH_ACCESS_TOKEN_TTL_SECONDS)
    claims = {
        "iss": settings.SITE_URL,
        "aud": settings.AUTH_TOKEN_AUDIENCE,
        "sub": str(user.pk),
        "client_id": settings.AUTH_TOKEN_CLIENT_ID,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": uuid.uuid4().hex,
        "roles": sorted(user_role_names(user_id=user.pk)),
        "scope": settings.AUTH_FIRST_PARTY_SCOPES,
    }
    return create_token(
        claims, private_key=key.private_key, kid=key.kid, algorithm=key.algorithm
    ), ttl


def _new_refresh(
    *, user: User, family_id: uuid.UUID, family_expires_at: datetime, user_agent: str
) -> tuple[str, int]:
    now = timezone.now()
    raw = REFRESH_PREFIX + secrets.token_urlsafe(32)
    ttl = timedelta(seconds=settings.AUTH_REFRESH_TOKEN_TTL_SECONDS)
    expires_at = min(now + ttl, family_expires_at)
    RefreshToken.objects.create(
        user=user,
        family_id=family_id,
        token_hash=_hash(raw),
        created_at=now,
        expires_at=expires_at,
        family_expires_at=family_expires_at,
        user_agent=user_agent[:200],
    )
    return raw, max(0, int((expires_at - now).total_seconds()))


def session_start(*, user: User, user_agent: str = "") -> TokenPair:
    """A new login session: a fresh refresh-token family and an access token."""
    with transaction.atomic():
        family_expires = timezone.now() + timedelta(seconds=settings.AUTH_SESSION_MAX_AGE_SECONDS)
        refresh, refresh_ttl = _new_refresh(
            user=user,
            family_id=uuid.uuid4(),
            family_expires_at=family_expires,
            user_agent=user_agent,
        )
        access, ttl = access_token_issue(user=user)
    return TokenPair(
        access_token=access, expires_in=ttl, refresh_token=refresh, refresh_expires_in=refresh_ttl
    )


def _revoke_family(family_id: uuid.UUID, reason: str) -> int:
    return RefreshToken.objects.filter(family_id=family_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def session_refresh(*, refresh_token: str, user_agent: str = "") -> TokenPair:
    """Rotate: the presented token is spent and its successor returned.

    A token that was already rotated is a replay: the whole family is revoked, so a
    thief and the victim both have to log in again (RFC 9700 §4.14.2).
    """
    if (
        not isinstance(refresh_token, str)
        or not refresh_token.startswith(REFRESH_PREFIX)
        or len(refresh_token) > 200
    ):
        raise InvalidRefreshTokenError()
    refused: str | None = None  # why the family was revoked, if it was
    with transaction.atomic():
        row = (
            RefreshToken.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=_hash(refresh_token))
            .first()
        )
        now = timezone.now()
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            raise InvalidRefreshTokenError()
        if row.rotated_at is not None:
            refused = "reuse_detected"
        elif not row.user.is_active:
            refused = "user_inactive"
        if refused is not None:
            _revoke_family(row.family_id, refused)  # committed: the raise comes after the block
        else:
            row.rotated_at = now
            row.save(update_fields=["rotated_at"])
            refresh, refresh_ttl = _new_refresh(
                user=row.user,
                family_id=row.family_id,
                family_expires_at=row.family_expires_at,
                user_agent=user_agent,
            )
            access, ttl = access_token_issue(user=row.user)
    if refused is not None:
        log.warning(
            "refresh_token_refused",
            reason=refused,
            family_id=str(row.family_id),
            user_id=str(row.user_id),
        )
        raise InvalidRefreshTokenError()
    return TokenPair(
        access_token=access, expires_in=ttl, refresh_token=refresh, refresh_expires_in=refresh_ttl
    )


def session_revoke(*, refresh_token: str) -> None:
    """Log out: revoke the session (family) the token belongs to. Unknown tokens: no-op."""
    if not isinstance(refresh_token, str) or len(refresh_token) > 200:
        return
    with transaction.atomic():
        row = RefreshToken.objects.filter(token_hash=_hash(refresh_token)).only("family_id").first()
        if row is not None:
            _revoke_family(row.family_id, "logout")


def sessions_revoke_all(*, user_id: uuid.UUID, reason: str) -> int:
    """Revoke every session of a user (password change or reset, deactivation)."""
    return RefreshToken.objects.filter(user_id=user_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
