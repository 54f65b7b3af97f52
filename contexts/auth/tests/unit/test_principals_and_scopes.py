"""The verifier's two kinds of principal, and the scope guard's construction (no database)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from bazaar_platform.tokens import (
    ClientPrincipal,
    InvalidTokenError,
    RevokedTokenError,
    TokenPrincipal,
    authenticate_principal,
    authenticate_token,
    create_token,
    deny_token,
)
from bazaar_platform.tokens.permissions import (
    RequiresScope,
    ScopePermission,
    granted_scopes,
    is_first_party,
)
from contexts.auth.services.keys import public_jwk
from contexts.auth.services.oauth.scopes import (
    roles_for_token,
    scope_list,
    scopes_for_applications,
    scopes_grantable,
)
from contexts.auth.tests import support

pytestmark = pytest.mark.unit

KEY = support.rsa_key("a")
KID = support.kid_of(KEY)


@pytest.fixture(autouse=True)
def _jwks_from_support(settings: Any) -> None:
    settings.BAZAAR_TOKENS = {
        **settings.BAZAAR_TOKENS,
        "JWKS_SOURCE": "contexts.auth.tests.support.jwks_source",
        "JWKS_URL": "",
    }
    support.JWKS["keys"] = [public_jwk(KEY)]


def sign(**overrides: Any) -> str:
    return create_token(support.claims(**overrides), private_key=KEY, kid=KID)


def test_a_client_credentials_token_is_an_application_principal() -> None:
    token = sign(sub="app-123", client_id="app-123", roles=[], scope="catalog:read")
    principal = authenticate_principal(token)
    assert isinstance(principal, ClientPrincipal)
    assert principal.client_id == "app-123"
    assert principal.scopes == {"catalog:read"}
    assert principal.user_id is None and principal.is_authenticated is False
    assert not principal.has_role("admin")
    with pytest.raises(InvalidTokenError):
        authenticate_token(token)  # the user-only entry point refuses it


def test_an_application_token_with_roles_is_refused() -> None:
    with pytest.raises(InvalidTokenError):
        authenticate_principal(sign(sub="app-1", client_id="app-1", roles=["admin"]))


def test_a_user_token_names_its_client() -> None:
    user_id = uuid.uuid4()
    principal = authenticate_principal(sign(sub=str(user_id), client_id="abc", scope="profile"))
    assert isinstance(principal, TokenPrincipal)
    assert principal.user_id == user_id and principal.client_id == "abc"
    assert not is_first_party(principal) and granted_scopes(principal) == {"profile"}
    ours = authenticate_principal(sign(client_id="bazaar-first-party"))
    assert is_first_party(ours) and granted_scopes(ours) is None


def test_a_denied_jti_fails_verification() -> None:
    jti = uuid.uuid4().hex
    token = sign(jti=jti)
    authenticate_principal(token)
    deny_token(jti, expires_at=time.time() + 300)
    with pytest.raises(RevokedTokenError) as caught:
        authenticate_principal(token)
    assert caught.value.code == "invalid_token"


def test_requires_scope_makes_one_class_per_scope_set() -> None:
    orders = RequiresScope("orders:read")
    assert issubclass(orders, ScopePermission)
    assert orders.required == ("orders:read",)
    assert RequiresScope("orders:read") is orders
    assert RequiresScope("orders:read", "orders:write").required == ("orders:read", "orders:write")
    for bad in ((), ("",), ("a b",)):
        with pytest.raises(ValueError, match="scope"):
            RequiresScope(*bad)


def test_scope_rules() -> None:
    assert scope_list("profile openid  openid") == ["openid", "profile"]
    assert scopes_grantable(["vendor:manage", "orders:read", "x"], roles=["customer"]) == [
        "orders:read"
    ]
    assert scopes_for_applications(["catalog:read", "openid"]) == ["catalog:read"]
    assert roles_for_token(user_roles=["admin", "customer", "vendor"], scopes=["orders:read"]) == [
        "customer"
    ]
    assert roles_for_token(user_roles=["admin"], scopes=["openid", "profile"]) == []
