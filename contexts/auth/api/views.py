"""The auth API: one thin view per operation."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from bazaar_platform.api.views import BazaarAPIView
from bazaar_platform.tokens.permissions import (
    FirstPartyOnly,
    IsAdmin,
    RequiresScope,
    granted_scopes,
    principal_user_id,
)
from contexts.auth.api import serializers as s
from contexts.auth.selectors import user_get
from contexts.auth.services import accounts
from contexts.auth.services.social import flow
from contexts.auth.services.social.providers import providers_enabled
from contexts.auth.services.throttle import LoginThrottledError
from contexts.auth.services.tokens import TokenPair, session_refresh, session_revoke, session_start

ACCEPTED = (
    "If this request can be fulfilled, an e-mail is on its way to the address given. "
    "Check your inbox."
)


class EmailSendingThrottle(AnonRateThrottle):
    """Per-IP cap on endpoints that send e-mail (no mail bombing through us)."""

    scope = "auth_email"
    rate = "30/hour"


def _client_ip(request: Request) -> str:
    return str(request.META.get(settings.AUTH_CLIENT_IP_META or "REMOTE_ADDR", "") or "")[:64]


def _user_agent(request: Request) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:200]


def _tokens(pair: TokenPair) -> Response:
    return Response(s.TokenPairOutput(asdict(pair)).data)


def _validated(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _me(request: Request) -> UUID:
    user_id = principal_user_id(request.user)
    if user_id is None:
        raise exceptions.NotAuthenticated()
    return user_id


class PublicApi(BazaarAPIView):
    """No authentication at all: a stale token must not stop someone logging in."""

    authentication_classes = []
    permission_classes = [AllowAny]


class RegisterApi(PublicApi):
    throttle_classes = [EmailSendingThrottle]

    @extend_schema(request=s.RegisterInput, responses={202: s.AcceptedOutput}, summary="Register")
    def post(self, request: Request) -> Response:
        data = _validated(s.RegisterInput, request)
        accounts.user_register(
            email=data["email"], password=data["password"], full_name=data["full_name"]
        )
        return Response({"detail": ACCEPTED}, status=status.HTTP_202_ACCEPTED)


class EmailVerifyApi(PublicApi):
    @extend_schema(request=s.TokenInput, responses={200: s.UserOutput}, summary="Verify e-mail")
    def post(self, request: Request) -> Response:
        data = _validated(s.TokenInput, request)
        user = accounts.user_verify_email(token=data["token"])
        return Response({"email_verified": user.email_verified})


class LoginApi(PublicApi):
    @extend_schema(request=s.LoginInput, responses={200: s.TokenPairOutput}, summary="Log in")
    def post(self, request: Request) -> Response:
        data = _validated(s.LoginInput, request)
        try:
            user = accounts.user_login(
                email=data["email"],
                password=data["password"],
                ip=_client_ip(request),
                user_agent=_user_agent(request),
            )
        except LoginThrottledError as exc:
            raise exceptions.Throttled(wait=exc.retry_after, detail=exc.message) from None
        return _tokens(session_start(user=user, user_agent=_user_agent(request)))


class TokenRefreshApi(PublicApi):
    @extend_schema(
        request=s.RefreshInput, responses={200: s.TokenPairOutput}, summary="Refresh (rotates)"
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.RefreshInput, request)
        return _tokens(
            session_refresh(refresh_token=data["refresh_token"], user_agent=_user_agent(request))
        )


class LogoutApi(PublicApi):
    @extend_schema(
        request=s.RefreshInput, responses={204: None}, summary="Log out (revokes the session)"
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.RefreshInput, request)
        session_revoke(refresh_token=data["refresh_token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeApi(BazaarAPIView):
    permission_classes = [FirstPartyOnly]

    @extend_schema(request=s.PasswordChangeInput, responses={204: None}, summary="Change password")
    def post(self, request: Request) -> Response:
        data = _validated(s.PasswordChangeInput, request)
        accounts.password_change(
            user_id=_me(request),
            current_password=data["current_password"],
            new_password=data["new_password"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetApi(PublicApi):
    throttle_classes = [EmailSendingThrottle]

    @extend_schema(
        request=s.PasswordResetInput, responses={202: s.AcceptedOutput}, summary="Request a reset"
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.PasswordResetInput, request)
        accounts.password_reset_request(email=data["email"])
        return Response({"detail": ACCEPTED}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(PublicApi):
    @extend_schema(
        request=s.PasswordResetConfirmInput, responses={204: None}, summary="Set a new password"
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.PasswordResetConfirmInput, request)
        accounts.password_reset_confirm(token=data["token"], new_password=data["new_password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(BazaarAPIView):
    """The caller's own profile: read (GET) and update (PATCH).

    A third-party token needs the ``profile`` scope to read it, and the ``email`` scope
    to see the e-mail address in it; updating it is for the user in person.
    """

    def get_permissions(self) -> list[Any]:
        if self.request.method == "PATCH":
            return [FirstPartyOnly()]
        return [IsAuthenticated(), RequiresScope("profile")()]

    @extend_schema(responses={200: s.UserOutput}, summary="My profile")
    def get(self, request: Request) -> Response:
        user = user_get(user_id=_me(request))
        if user is None:
            raise exceptions.NotAuthenticated()
        data = dict(s.UserOutput(user).data)
        scopes = granted_scopes(request.user)
        if scopes is not None and "email" not in scopes:
            data.pop("email", None)
            data.pop("email_verified", None)
        return Response(data)

    @extend_schema(
        request=s.ProfileUpdateInput, responses={200: s.UserOutput}, summary="Update my profile"
    )
    def patch(self, request: Request) -> Response:
        data = _validated(s.ProfileUpdateInput, request)
        user = accounts.user_profile_update(user_id=_me(request), full_name=data["full_name"])
        return Response(s.UserOutput(user).data)


class AdminApi(BazaarAPIView):
    # A third-party token never carries the admin role; FirstPartyOnly says so plainly.
    permission_classes = [FirstPartyOnly, IsAdmin]


class UserRoleGrantApi(AdminApi):
    @extend_schema(
        request=s.RoleInput, responses={200: s.UserOutput}, summary="Grant a role (admin)"
    )
    def post(self, request: Request, user_id: UUID) -> Response:
        data = _validated(s.RoleInput, request)
        accounts.role_grant(user_id=user_id, role=data["role"], granted_by=_me(request))
        user = user_get(user_id=user_id)
        return Response(s.UserOutput(user).data)


class UserRoleRevokeApi(AdminApi):
    @extend_schema(responses={204: None}, summary="Revoke a role (admin)")
    def delete(self, request: Request, user_id: UUID, role: str) -> Response:
        accounts.role_revoke(user_id=user_id, role=role, revoked_by=_me(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserDeactivateApi(AdminApi):
    @extend_schema(
        request=s.DeactivateInput, responses={200: s.UserOutput}, summary="Deactivate (admin)"
    )
    def post(self, request: Request, user_id: UUID) -> Response:
        data = _validated(s.DeactivateInput, request)
        user = accounts.user_deactivate(user_id=user_id, reason=data["reason"])
        return Response(s.UserOutput(user).data)


class UserStatusUpdateApi(AdminApi):
    @extend_schema(
        request=s.StatusInput, responses={200: s.UserOutput}, summary="Set statuses (admin)"
    )
    def patch(self, request: Request, user_id: UUID) -> Response:
        data = _validated(s.StatusInput, request)
        user = accounts.user_status_set(user_id=user_id, change=accounts.StatusChange(**data))
        return Response(s.UserOutput(user).data)


class SocialProviderListApi(PublicApi):
    @extend_schema(responses={200: s.ProviderOutput(many=True)}, summary="Social log-in providers")
    def get(self, request: Request) -> Response:
        return Response(
            [
                {
                    "name": p.name,
                    "display_name": p.display_name,
                    "authorize_url": reverse("auth:social-authorize", kwargs={"provider": p.name}),
                }
                for p in providers_enabled()
            ]
        )


class SocialLoginStartApi(PublicApi):
    @extend_schema(responses={200: s.SocialStartOutput}, summary="Start a social log-in")
    def get(self, request: Request, provider: str) -> Response:
        start = flow.social_login_begin(provider=provider)
        return Response(s.SocialStartOutput(asdict(start)).data)


class SocialLoginCallbackApi(PublicApi):
    """Where the provider sends the browser back (``code`` and ``state``)."""

    extra_query_params = frozenset(
        {
            "code",
            "state",
            "error",
            "error_description",
            "error_uri",
            "scope",
            "authuser",
            "prompt",
            "hd",
            "iss",
        }
    )

    @extend_schema(
        responses={200: s.TokenPairOutput, 502: OpenApiResponse(description="Provider failed")},
        summary="Finish a social log-in",
    )
    def get(self, request: Request, provider: str) -> Response:
        params = request.query_params
        if params.get("error"):
            raise exceptions.ValidationError(
                {"error": [str(params.get("error"))[:100]]}, code="social_login_denied"
            )
        user = flow.social_login_complete(
            provider=provider, code=str(params.get("code", "")), state=str(params.get("state", ""))
        )
        return _tokens(session_start(user=user, user_agent=_user_agent(request)))
