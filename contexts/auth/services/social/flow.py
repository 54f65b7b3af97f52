"""Social log-in flow: begin (state + PKCE verifier kept server-side) and complete.

Account linking rule: a provider identity already linked logs its user in. Otherwise
the provider must vouch for a *verified* e-mail address; if an account has that
address, it is linked only when the account's own address is verified too (else an
attacker who pre-registered the victim's address, unverified, would get the
victim's social log-in); if no account has it, one is created, already verified.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from contexts.auth.models import SocialIdentity, User
from contexts.auth.selectors import social_identity_get, user_get_by_email
from contexts.auth.services.accounts import _create_user
from contexts.auth.services.social.providers import OAuthProvider, provider_get

_STATE_PREFIX = "auth:social-state:"


@dataclass(frozen=True)
class SocialLoginStart:
    provider: str
    authorization_url: str
    state: str


def _provider(name: str) -> OAuthProvider:
    provider = provider_get(name)
    if provider is None:
        raise NotFoundError(f"No social log-in provider {name[:30]!r}.")
    return provider


def callback_uri(provider: str) -> str:
    return settings.SITE_URL + reverse("auth:social-callback", kwargs={"provider": provider})


def social_login_begin(*, provider: str) -> SocialLoginStart:
    client = _provider(provider)
    state = secrets.token_urlsafe(32)
    code_verifier = secrets.token_urlsafe(64)  # 86 chars: within RFC 7636's 43..128
    redirect_uri = callback_uri(client.name)
    cache.set(
        _STATE_PREFIX + state,
        {"provider": client.name, "code_verifier": code_verifier, "redirect_uri": redirect_uri},
        timeout=settings.AUTH_SOCIAL_STATE_TTL_SECONDS,
    )
    url = client.authorization_url(
        state=state, code_verifier=code_verifier, redirect_uri=redirect_uri
    )
    return SocialLoginStart(provider=client.name, authorization_url=url, state=state)


def _take_state(state: str, provider: str) -> dict[str, str]:
    if not state or len(state) > 200:
        raise ApplicationError("The log-in state is missing or invalid.", code="invalid_state")
    key = _STATE_PREFIX + state
    data = cache.get(key)
    # delete() answers True for one caller only: a state is usable once.
    if not isinstance(data, dict) or not cache.delete(key) or data.get("provider") != provider:
        raise ApplicationError(
            "The log-in state is unknown, used or expired; start again.", code="invalid_state"
        )
    return data


def social_login_complete(*, provider: str, code: str, state: str) -> User:
    """Finish the provider round trip; returns the user to log in."""
    client = _provider(provider)
    saved = _take_state(state, client.name)
    if not code or len(code) > 500:
        raise ApplicationError("The authorization code is missing.", code="invalid_code")
    profile = client.fetch_profile(
        code=code, code_verifier=saved["code_verifier"], redirect_uri=saved["redirect_uri"]
    )
    with transaction.atomic():
        identity = social_identity_get(provider=profile.provider, subject=profile.subject)
        if identity is not None:
            user = identity.user
            identity.last_login_at = timezone.now()
            identity.save(update_fields=["last_login_at"])
        else:
            if not profile.email or not profile.email_verified:
                raise ApplicationError(
                    f"{client.display_name} did not confirm a verified e-mail address "
                    "for this account.",
                    code="unverified_email",
                )
            user_or_none = user_get_by_email(email=profile.email)
            if user_or_none is None:
                user = _create_user(
                    email=profile.email,
                    password=None,
                    full_name=profile.full_name,
                    via=f"social:{client.name}",
                    verified=True,
                )
            elif user_or_none.email_verified:
                user = user_or_none
            else:
                raise ConflictError(
                    "An account with this e-mail address exists but its address is not verified: "
                    "verify it (or log in with your password) before linking.",
                    code="email_verification_required",
                )
            SocialIdentity.objects.create(
                user=user,
                provider=profile.provider,
                subject=profile.subject,
                email=profile.email,
                last_login_at=timezone.now(),
            )
    if not user.is_active:
        raise ApplicationError(
            "This account is deactivated.", code="account_inactive", status_code=403
        )
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return user
