"""A third-party application on the customer's cart, with an access token from our OAuth
provider (an RFC 9068 JWT, minted through the real authorisation-code flow with PKCE:
consent page, code, token endpoint). ``orders:read`` reads the cart, ``orders:write``
changes it; a token without the scope gets 403 ``insufficient_scope`` naming it, and
the cart is untouched."""

from __future__ import annotations

import json
from base64 import urlsafe_b64decode
from typing import Any
from uuid import UUID

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from contexts.auth.tests.oauth_support import App, make_app, tokens_for
from tests.support import orders as support

pytestmark = pytest.mark.django_db

CART = "/api/v1/orders/cart"
LINES = "/api/v1/orders/cart/lines"


@pytest.fixture(autouse=True)
def _oauth_hashers(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "contexts.auth.services.oauth.hashers.ClientSecretHasher",  # the app's client secret
    ]


@pytest.fixture
def app() -> App:
    owner = get_user_model().objects.get(pk=support.make_customer())
    return make_app(owner, name="Acme Shopping Assistant")


@pytest.fixture
def customer() -> UUID:
    return support.make_customer()


def app_token(customer: UUID, app: App, scope: str) -> str:
    """The customer consents in their browser; the app's back end gets the token."""
    browser = Client()
    browser.force_login(get_user_model().objects.get(pk=customer))
    token: str = tokens_for(browser, app, scope=scope)["access_token"]
    header, claims = (
        json.loads(urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        for part in token.split(".")[:2]
    )
    assert header["typ"].lower() == "at+jwt"  # RFC 9068
    assert claims["sub"] == str(customer) and claims["client_id"] == app.client_id
    assert set(scope.split()) <= set(claims["scope"].split())
    return token


def api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def insufficient(response: Any, scope: str) -> None:
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["data"] is None
    error = body["error"]
    assert error["code"] == "insufficient_scope"
    assert scope in error["message"]
    assert error["required_scopes"] == [scope]
    assert error["fields"] == {"scope": [f"{scope} is required"]}


def test_an_app_with_orders_write_fills_the_customers_cart_and_reads_it_with_orders_read(
    customer: UUID, app: App
) -> None:
    shop = support.make_shop()
    kettle = support.make_listing(shop, price_minor=2500)
    token = app_token(customer, app, "openid orders:read orders:write")

    added = api(token).post(LINES, {"listing_id": str(kettle), "quantity": 2}, format="json")
    assert added.status_code == 200, added.content
    cart = added.json()["data"]
    assert cart["total_minor"] == 5000
    assert [(line["listing_id"], line["quantity"]) for line in cart["lines"]] == [(str(kettle), 2)]
    updated = api(token).post(f"{LINES}/{kettle}/update", {"quantity": 1}, format="json")
    assert updated.status_code == 200, updated.content
    assert updated.json()["data"]["total_minor"] == 2500

    # it is the customer's own cart: the customer sees what the app put there
    own = APIClient()
    login = own.post(
        "/api/v1/auth/login",
        {"email": support.email_of(customer), "password": support.PASSWORD},
        format="json",
    )
    own.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['data']['access_token']}")
    assert own.get(CART).json()["data"]["total_minor"] == 2500

    reader = app_token(customer, app, "orders:read")
    read = api(reader).get(CART)
    assert read.status_code == 200, read.content
    assert [line["listing_id"] for line in read.json()["data"]["lines"]] == [str(kettle)]


def test_an_app_without_the_scope_gets_403_naming_it_and_the_cart_is_untouched(
    customer: UUID, app: App
) -> None:
    shop = support.make_shop()
    kettle = support.make_listing(shop, price_minor=2500)
    profile_only = app_token(customer, app, "openid profile")

    insufficient(api(profile_only).get(CART), "orders:read")
    insufficient(
        api(profile_only).post(LINES, {"listing_id": str(kettle), "quantity": 1}, format="json"),
        "orders:write",
    )
    insufficient(api(profile_only).post(f"{CART}/clear"), "orders:write")

    # reading is not writing
    reader = app_token(customer, app, "orders:read")
    insufficient(
        api(reader).post(LINES, {"listing_id": str(kettle), "quantity": 1}, format="json"),
        "orders:write",
    )
    assert api(reader).get(CART).json()["data"]["lines"] == []
