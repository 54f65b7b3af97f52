"""Mounted by config/urls.py at /api/v1/auth/ (namespace "auth")."""

from __future__ import annotations

from django.urls import URLPattern, path

from contexts.auth.api import views as v

urlpatterns: list[URLPattern] = [
    path("register", v.RegisterApi.as_view(), name="register"),
    path("verify-email", v.EmailVerifyApi.as_view(), name="verify-email"),
    path("login", v.LoginApi.as_view(), name="login"),
    path("refresh", v.TokenRefreshApi.as_view(), name="refresh"),
    path("logout", v.LogoutApi.as_view(), name="logout"),
    path("password/change", v.PasswordChangeApi.as_view(), name="password-change"),
    path("password/reset", v.PasswordResetApi.as_view(), name="password-reset"),
    path(
        "password/reset/confirm", v.PasswordResetConfirmApi.as_view(), name="password-reset-confirm"
    ),
    path("me", v.MeApi.as_view(), name="me"),
    path("users/<uuid:user_id>/roles", v.UserRoleGrantApi.as_view(), name="user-role-grant"),
    path(
        "users/<uuid:user_id>/roles/<str:role>",
        v.UserRoleRevokeApi.as_view(),
        name="user-role-revoke",
    ),
    path("users/<uuid:user_id>/deactivate", v.UserDeactivateApi.as_view(), name="user-deactivate"),
    path("users/<uuid:user_id>/status", v.UserStatusUpdateApi.as_view(), name="user-status"),
    path("social/providers", v.SocialProviderListApi.as_view(), name="social-providers"),
    path(
        "social/<slug:provider>/authorize", v.SocialLoginStartApi.as_view(), name="social-authorize"
    ),
    path(
        "social/<slug:provider>/callback",
        v.SocialLoginCallbackApi.as_view(),
        name="social-callback",
    ),
]
