"""django-oauth-toolkit's request validator, extended (``OAUTH2_VALIDATOR_CLASS``).

What changes against the toolkit's ``OAuth2Validator``:

* response type ``code`` only (anything else: ``unsupported_response_type``);
* scopes must be in the catalogue; an application's own token (client credentials)
  only gets application scopes; a user can grant only scopes their roles allow, and a
  token issued or refreshed later carries only what the user's roles still allow;
* an authorization code is claimed atomically on first use and kept for the replay
  window: using it again is ``invalid_grant`` *and* revokes the token family the
  first use produced (RFC 6749 §4.1.2, RFC 9700 §4.5), even when the two uses race;
* a deactivated user's code, refresh token or access token stops working;
* access tokens are our RS256 ``at+jwt`` (``tokens.access_token_generate``); their row
  keeps the JWT's checksum and ``jti`` (for introspection and the deny list);
* ID tokens are signed by the key store with the current key, ``iss`` = ``SITE_URL``;
* approving a request records the user's consent (``auth.app_authorized``);
* every access token the toolkit deletes is announced (``revocation``), with a reason.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from jwcrypto import jwk
from oauth2_provider.models import AbstractApplication
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth2.rfc6749 import errors

from contexts.auth.models import OAuthAccessToken, OAuthGrant, User
from contexts.auth.selectors import user_role_names
from contexts.auth.services.oauth.consent import consent_record
from contexts.auth.services.oauth.revocation import revoking, token_family_revoke
from contexts.auth.services.oauth.scopes import (
    CATALOGUE,
    scopes_for_applications,
    scopes_grantable,
    unknown_scopes,
)
from contexts.auth.services.oauth.tokens import (
    id_token_sign,
    issuer,
    public_jwk_for,
    unverified_claims,
)

log = structlog.get_logger("bazaar.auth.oauth")


def _active_user(user: Any) -> bool:
    return isinstance(user, User) and user.is_active


class BazaarOAuth2Validator(OAuth2Validator):
    oidc_claim_scope = {
        "sub": "openid",
        "name": "profile",
        "email": "email",
        "email_verified": "email",
    }

    # --- authorization endpoint ------------------------------------------------------
    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Any,
        request: OAuthRequest,
        *a: Any,
        **k: Any,
    ) -> bool:
        if response_type != "code":
            raise errors.UnsupportedResponseTypeError(
                description="Only response_type=code is supported.", request=request
            )
        return bool(client.allows_grant_type(AbstractApplication.GRANT_AUTHORIZATION_CODE))

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Any,
        request: OAuthRequest,
        *a: Any,
        **k: Any,
    ) -> bool:
        unknown = unknown_scopes(scopes)
        if unknown:
            raise errors.InvalidScopeError(
                description=f"Unknown scope: {' '.join(unknown)[:100]}. See /api/v1/auth/scopes.",
                request=request,
            )
        if client.authorization_grant_type == AbstractApplication.GRANT_CLIENT_CREDENTIALS:
            refused = set(scopes) - set(scopes_for_applications(scopes))
            if refused:
                raise errors.InvalidScopeError(
                    description=f"Not available to an application on its own: {' '.join(sorted(refused))}.",
                    request=request,
                )
            return True
        user = getattr(request, "user", None)
        if isinstance(user, User):  # approving: the user is known
            roles = user_role_names(user_id=user.pk)
            return set(scopes) <= set(scopes_grantable(scopes, roles=roles))
        return True

    def validate_silent_login(self, request: OAuthRequest) -> bool:
        return True  # the view has a session (LoginRequiredMixin) before it gets here

    def validate_silent_authorization(self, request: OAuthRequest) -> bool:
        return True  # prompt=none without stored consent is answered by the view

    def save_authorization_code(
        self, client_id: str, code: dict[str, str], request: OAuthRequest, *a: Any, **k: Any
    ) -> None:
        super().save_authorization_code(client_id, code, request, *a, **k)
        consent_record(user_id=request.user.pk, application=request.client, scopes=request.scopes)

    # --- the code exchange --------------------------------------------------------------
    def validate_code(
        self, client_id: str, code: str, client: Any, request: OAuthRequest, *a: Any, **k: Any
    ) -> bool:
        grant = (
            OAuthGrant.objects.select_related("user").filter(code=code, application=client).first()
        )
        if grant is None:
            return False
        if grant.used_at is not None:
            self._code_replayed(grant)
            return False
        if grant.is_expired() or not _active_user(grant.user):
            return False
        now = timezone.now()
        claimed = OAuthGrant.objects.filter(pk=grant.pk, used_at__isnull=True).update(
            used_at=now, expires=now + timedelta(seconds=settings.OAUTH_CODE_REPLAY_WINDOW_SECONDS)
        )
        if not claimed:  # another request spent it a moment ago
            grant.refresh_from_db()
            self._code_replayed(grant)
            return False
        request.user = grant.user
        request.scopes = scopes_grantable(
            grant.scope.split(), roles=user_role_names(user_id=grant.user_id)
        )
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        return True

    def _code_replayed(self, grant: OAuthGrant) -> None:
        OAuthGrant.objects.filter(pk=grant.pk).update(replayed_at=timezone.now())
        log.warning(
            "oauth_code_replayed",
            grant=grant.pk,
            client=grant.application_id,
            family=str(grant.token_family or ""),
        )
        if grant.token_family is not None:
            token_family_revoke(family=grant.token_family, reason="code_replayed")

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: OAuthRequest, *a: Any, **k: Any
    ) -> None:
        # The code was claimed in validate_code and its row stays for the replay window.
        # A replay that raced this exchange flagged it: revoke what we just issued and
        # answer invalid_grant here too.
        grant = OAuthGrant.objects.filter(code=code, application=request.client).first()
        if grant is None:
            raise errors.InvalidGrantError(request=request)
        if grant.replayed_at is not None:
            if grant.token_family is not None:
                token_family_revoke(family=grant.token_family, reason="code_replayed")
            raise errors.InvalidGrantError(
                description="The authorization code was used more than once.", request=request
            )

    def _create_refresh_token(
        self, request: OAuthRequest, refresh_token_code: str, access_token: Any, previous: Any
    ) -> Any:
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous
        )
        if request.grant_type == "authorization_code" and request.code:
            OAuthGrant.objects.filter(code=request.code, application=request.client).update(
                token_family=refresh_token.token_family
            )
        return refresh_token

    # --- tokens ---------------------------------------------------------------------------
    def _set_token_value(self, token_instance: Any, raw_token: str) -> None:
        super()._set_token_value(token_instance, raw_token)
        if isinstance(token_instance, OAuthAccessToken):
            token_instance.jti = str(unverified_claims(raw_token)["jti"])

    def _save_bearer_token(self, token: Any, request: OAuthRequest, *a: Any, **k: Any) -> Any:
        # Rotation deletes the previous access token: announce it as such.
        with revoking("refresh_rotated"):
            return super()._save_bearer_token(token, request, *a, **k)

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: OAuthRequest, *a: Any, **k: Any
    ) -> bool:
        # A replayed (already rotated) refresh token revokes its whole family in here.
        with revoking("refresh_token_replayed"):
            valid = super().validate_refresh_token(refresh_token, client, request, *a, **k)
        return bool(valid) and _active_user(request.user)

    def get_original_scopes(
        self, refresh_token: str, request: OAuthRequest, *a: Any, **k: Any
    ) -> list[str]:
        original = super().get_original_scopes(refresh_token, request, *a, **k)
        names = original.split() if isinstance(original, str) else list(original)
        # Roles can change between refreshes: the new token carries what they allow now.
        return scopes_grantable(names, roles=user_role_names(user_id=request.user.pk))

    def revoke_token(
        self, token: str, token_type_hint: str | None, request: OAuthRequest, *a: Any, **k: Any
    ) -> None:
        with revoking("client_revoked"):
            super().revoke_token(token, token_type_hint, request, *a, **k)

    def validate_bearer_token(self, token: str, scopes: list[str], request: OAuthRequest) -> bool:
        """For the userinfo endpoint (resource APIs verify JWTs offline instead).

        Only from the ``Authorization`` header: oauthlib would also take
        ``?access_token=`` (RFC 9700 §4.3.2 forbids tokens in URLs) or a form field.
        """
        if "Authorization" not in request.headers:
            request.oauth2_error = {"error": "invalid_request"}
            return False
        valid = super().validate_bearer_token(token, scopes, request)
        error = getattr(request, "oauth2_error", None) or {}
        if not valid and error.get("error") == "insufficient_scope":
            raise errors.InsufficientScopeError(request=request)  # 403, not 401 (RFC 6750 §3.1)
        if valid and request.user is not None and not _active_user(request.user):
            request.oauth2_error = {"error": "invalid_token"}
            return False
        return bool(valid)

    def validate_user(self, *args: Any, **kwargs: Any) -> bool:
        return False  # no password grant, whatever a request claims

    # --- OpenID Connect ---------------------------------------------------------------------
    def get_oidc_issuer_endpoint(self, request: Any) -> str:
        return issuer()

    def get_additional_claims(self, request: OAuthRequest) -> dict[str, Any]:
        user = request.user
        return {"name": user.full_name, "email": user.email, "email_verified": user.email_verified}

    def get_discovery_claims(self, request: Any) -> list[str]:
        return ["sub", *[c for s in CATALOGUE.values() for c in s.claims if c != "sub"]]

    def finalize_id_token(
        self, id_token: dict[str, Any], token: Any, token_handler: Any, request: OAuthRequest
    ) -> str:
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        signed = id_token_sign(id_token)
        with transaction.atomic():
            row = self._save_id_token(id_token["jti"], request, expiration_time)
        request.access_token = row
        request.id_token = row
        return signed

    def _get_key_for_token(self, token: str) -> Any:
        entry = public_jwk_for(token)
        return jwk.JWK(**entry) if entry else None
