"""Scopes that mean something: the catalogue, ``RequiresScope``, and roles as the ceiling."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from django.test import Client
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from bazaar_platform.api.views import BazaarAPIView
from bazaar_platform.tokens.permissions import IsActiveVendor, RequiresScope
from contexts.auth.models import Role, User
from contexts.auth.services.accounts import role_revoke
from contexts.auth.tests.factories import make_user
from contexts.auth.tests.oauth_support import (
    AUTHORIZE,
    TOKEN,
    App,
    authorize_params,
    pkce,
    post_form,
    refresh,
    tokens_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


class OrdersApi(BazaarAPIView):
    """Stands in for another context's endpoint guarded by a scope."""

    permission_classes = [RequiresScope("orders:read")]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class FeedApi(BazaarAPIView):
    permission_classes = [RequiresScope("catalog:read")]

    def get(self, request: Request) -> Response:
        return Response({"client": getattr(request.user, "client_id", None)})


class VendorCatalogApi(BazaarAPIView):
    permission_classes = [IsActiveVendor, RequiresScope("catalog:write")]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class ProfileStatsApi(BazaarAPIView):
    """An endpoint written without third parties in mind: signed-in users only."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class PublicApi(BazaarAPIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


def call(view: type[APIView], token: str | None = None) -> Any:
    factory = APIRequestFactory()
    request = (
        factory.get("/x", HTTP_AUTHORIZATION=f"Bearer {token}") if token else factory.get("/x")
    )
    response = view.as_view()(request)
    response.render()
    return response


def vendor(**kwargs: Any) -> User:
    user = make_user(roles=[Role.CUSTOMER, Role.VENDOR], **kwargs)
    User.objects.filter(pk=user.pk).update(vendor_status="active")
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the catalogue --------------------------------------------------------------------------
def test_the_catalogue_is_published(api: APIClient) -> None:
    response = api.get("/api/v1/auth/scopes")
    assert response.status_code == 200
    scopes = {s["name"]: s for s in response.json()["data"]}
    assert set(scopes) == {
        "openid",
        "profile",
        "email",
        "orders:read",
        "orders:write",
        "notifications:read",
        "catalog:read",
        "catalog:write",
        "vendor:manage",
    }
    assert scopes["vendor:manage"]["requires_role"] == "vendor"
    assert scopes["orders:read"]["requires_role"] == "customer"
    assert scopes["email"]["claims"] == ["email", "email_verified"]
    assert [n for n, s in scopes.items() if s["for_applications"]] == ["catalog:read"]


# --- RequiresScope -----------------------------------------------------------------------------
def test_a_token_lacking_the_scope_gets_403_naming_it(browser: Client, app: App) -> None:
    token = tokens_for(browser, app, scope="openid profile")["access_token"]
    response = call(OrdersApi, token)
    assert response.status_code == 403
    error = json.loads(response.content)["error"]
    assert error["code"] == "insufficient_scope"
    assert "orders:read" in error["message"]
    assert error["fields"] == {"scope": ["orders:read is required"]}
    assert error["required_scopes"] == ["orders:read"]


def test_a_token_with_the_scope_passes(browser: Client, app: App) -> None:
    token = tokens_for(browser, app, scope="orders:read")["access_token"]
    assert call(OrdersApi, token).status_code == 200


def test_first_party_tokens_and_sessions_are_not_scope_limited(user: User, bearer: Any) -> None:
    header = bearer(user)["HTTP_AUTHORIZATION"].split()[1]
    assert call(OrdersApi, header).status_code == 200
    request = APIRequestFactory().get("/x")
    request.user = user  # a session user (the admin, our web front end)
    from rest_framework.test import force_authenticate

    force_authenticate(request, user=user)
    assert OrdersApi.as_view()(request).status_code == 200


def test_endpoints_that_name_no_scope_refuse_third_party_tokens(
    browser: Client, app: App, user: User, bearer: Any
) -> None:
    every = "openid profile email orders:read orders:write notifications:read"
    token = tokens_for(browser, app, scope=every)["access_token"]
    refused = call(ProfileStatsApi, token)
    assert refused.status_code == 403
    assert json.loads(refused.content)["error"]["code"] == "first_party_only"
    assert call(PublicApi, token).status_code == 200  # public stays public
    first_party = bearer(user)["HTTP_AUTHORIZATION"].split()[1]
    assert call(ProfileStatsApi, first_party).status_code == 200


def test_anonymous_is_401(db: None) -> None:
    assert call(OrdersApi).status_code == 401


def test_application_tokens_need_the_scope_too(backend: Client, cc_app: App) -> None:
    no_scope = post_form(
        backend, TOKEN, {"grant_type": "client_credentials", **cc_app.credentials()}
    )
    token = no_scope.json()["access_token"]
    assert claims_of(token)["scope"] == ""
    assert call(FeedApi, token).status_code == 403
    scoped = post_form(
        backend,
        TOKEN,
        {"grant_type": "client_credentials", "scope": "catalog:read", **cc_app.credentials()},
    ).json()["access_token"]
    ok = call(FeedApi, scoped)
    assert ok.status_code == 200
    assert json.loads(ok.content)["data"] == {"client": cc_app.client_id}


def test_application_tokens_are_refused_by_user_endpoints(
    backend: Client, cc_app: App, api: APIClient
) -> None:
    token = post_form(
        backend,
        TOKEN,
        {"grant_type": "client_credentials", "scope": "catalog:read", **cc_app.credentials()},
    ).json()["access_token"]
    response = api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403
    assert call(OrdersApi, token).status_code == 403


# --- the auth context's own endpoints -------------------------------------------------------------
def test_me_needs_profile_and_shows_the_address_only_with_email(
    browser: Client, app: App, api: APIClient, user: User
) -> None:
    no_profile = tokens_for(browser, app, scope="openid")["access_token"]
    refused = api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {no_profile}")
    assert refused.status_code == 403
    assert refused.json()["error"]["fields"] == {"scope": ["profile is required"]}

    profile = tokens_for(browser, app, scope="profile")["access_token"]
    me = api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {profile}").json()["data"]
    assert me["full_name"] == "Casey Customer"
    assert "email" not in me

    both = tokens_for(browser, app, scope="profile email")["access_token"]
    me = api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {both}").json()["data"]
    assert me["email"] == user.email


def test_first_party_tokens_keep_working_on_existing_endpoints(
    api: APIClient, user: User, bearer: Any
) -> None:
    me = api.get("/api/v1/auth/me", **bearer(user))
    assert me.status_code == 200
    assert me.json()["data"]["email"] == user.email
    patched = api.patch("/api/v1/auth/me", {"full_name": "New"}, format="json", **bearer(user))
    assert patched.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/api/v1/auth/me", {"full_name": "Hacked"}),
        ("post", "/api/v1/auth/password/change", {"current_password": "x", "new_password": "y"}),
        ("get", "/api/v1/auth/apps", None),
        ("get", "/api/v1/auth/authorizations", None),
    ],
)
def test_account_management_is_first_party_only(
    browser: Client, app: App, api: APIClient, method: str, path: str, body: Any
) -> None:
    token = tokens_for(browser, app, scope="openid profile email")["access_token"]
    response = getattr(api, method)(path, body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "first_party_only"


# --- roles are the ceiling ---------------------------------------------------------------------
def test_vendor_scopes_are_withheld_from_a_customer(browser: Client, app: App) -> None:
    _, challenge = pkce()
    page = browser.get(
        AUTHORIZE,
        authorize_params(app, scope="openid orders:read vendor:manage", challenge=challenge),
    )
    html = page.content.decode()
    assert 'id="withheld-scopes"' in html and "vendor:manage" in html
    body = tokens_for(browser, app, scope="openid orders:read vendor:manage")
    assert body["scope"] == "openid orders:read"
    assert claims_of(body["access_token"])["roles"] == ["customer"]


def test_a_vendor_can_grant_vendor_scopes_and_only_those_roles_ride_along(app: App) -> None:
    seller = vendor()
    token = tokens_for(signed_in(seller), app, scope="catalog:write")["access_token"]
    claims = claims_of(token)
    assert claims["scope"] == "catalog:write"
    assert claims["roles"] == ["vendor"]  # not "customer": no granted scope needs it
    assert call(VendorCatalogApi, token).status_code == 200
    orders_only = tokens_for(signed_in(seller), app, scope="orders:read")["access_token"]
    assert call(VendorCatalogApi, orders_only).status_code == 403  # no vendor role in the token


def test_an_admin_role_never_reaches_a_third_party_token(app: App, api: APIClient) -> None:
    admin = make_user(roles=[Role.ADMIN, Role.CUSTOMER, Role.VENDOR], is_staff=True)
    every = "openid profile email orders:read orders:write notifications:read catalog:write vendor:manage"
    body = tokens_for(signed_in(admin), app, scope=every)
    claims = claims_of(body["access_token"])
    assert "admin" not in claims["roles"]
    assert sorted(claims["roles"]) == ["customer", "vendor"]
    response = api.post(
        f"/api/v1/auth/users/{admin.pk}/roles",
        {"role": "vendor"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {body['access_token']}",
    )
    assert response.status_code == 403


def test_losing_a_role_shrinks_the_next_refresh(backend: Client, app: App) -> None:
    seller = vendor()
    body = tokens_for(signed_in(seller), app, scope="openid vendor:manage orders:read")
    assert claims_of(body["access_token"])["roles"] == ["customer", "vendor"]
    role_revoke(user_id=seller.pk, role="vendor")
    renewed = refresh(backend, app, body["refresh_token"]).json()
    assert renewed["scope"] == "openid orders:read"
    assert claims_of(renewed["access_token"])["roles"] == ["customer"]
    # And asking for the lost scope explicitly is an escalation now.
    again = refresh(backend, app, renewed["refresh_token"], scope="vendor:manage")
    assert again.json()["error"] == "invalid_scope"


def test_losing_a_role_between_consent_and_exchange_drops_its_scope(
    browser: Client, backend: Client, app: App
) -> None:
    from contexts.auth.tests.oauth_support import exchange, get_code

    seller = vendor()
    client = signed_in(seller)
    code, verifier = get_code(client, app, scope="vendor:manage profile")
    role_revoke(user_id=seller.pk, role="vendor")
    body = exchange(backend, app, code, verifier).json()
    assert body["scope"] == "profile"
    assert claims_of(body["access_token"])["roles"] == []
