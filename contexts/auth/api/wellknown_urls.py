"""Routes at the site root; config/urls.py includes this module once.

``/.well-known/*`` (JWKS, OpenID discovery, RFC 8414 metadata) and the OAuth 2.0 /
OpenID Connect provider under ``/o/`` (namespace ``oauth2_provider``, the name
django-oauth-toolkit reverses).
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path
from oauth2_provider import views as dot

from contexts.auth.api import oauth_views as o
from contexts.auth.api.wellknown import jwks_view

provider_urlpatterns: list[URLPattern] = [
    path("authorize/", o.AuthorizeView.as_view(), name="authorize"),
    path("token/", o.TokenApi.as_view(), name="token"),
    path("revoke_token/", dot.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", o.IntrospectApi.as_view(), name="introspect"),
    path("userinfo/", dot.UserInfoView.as_view(), name="user-info"),
    path("login/", o.LoginPage.as_view(), name="login"),
    path("logout/", o.LogoutPage.as_view(), name="logout"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path(".well-known/jwks.json", jwks_view, name="jwks"),
    path(
        ".well-known/openid-configuration",
        o.DiscoveryView.as_view(),
        name="openid-configuration",
    ),
    path(
        ".well-known/oauth-authorization-server",
        o.DiscoveryView.as_view(),
        name="oauth-authorization-server",
    ),
    path("o/", include((provider_urlpatterns, "oauth2_provider"))),
]
