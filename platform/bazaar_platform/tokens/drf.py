"""DRF authentication by access token, verified locally (the default in REST_FRAMEWORK)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from bazaar_platform.observability.middleware import bind_user
from bazaar_platform.tokens.errors import ExpiredTokenError, KeysUnavailableError, TokenError
from bazaar_platform.tokens.extract import token_from_authorization
from bazaar_platform.tokens.principal import TokenPrincipal
from bazaar_platform.tokens.validate import authenticate_token


class InvalidTokenFailed(exceptions.AuthenticationFailed):
    default_code = "invalid_token"


class ExpiredTokenFailed(exceptions.AuthenticationFailed):
    default_code = "token_expired"


class TokenKeysUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "token_keys_unavailable"
    default_detail = KeysUnavailableError.message


def as_api_exception(error: TokenError) -> exceptions.APIException:
    if isinstance(error, KeysUnavailableError):
        return TokenKeysUnavailable()
    if isinstance(error, ExpiredTokenError):
        return ExpiredTokenFailed(error.message)
    return InvalidTokenFailed(error.message)


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <access JWT>`` -> :class:`TokenPrincipal`; ``request.auth`` = claims.

    A request without a Bearer header is left to the next authentication class
    (sessions); a Bearer header with a bad token is a 401, never a silent anonymous.
    """

    realm = "api"

    def authenticate(self, request: Request) -> tuple[TokenPrincipal, dict[str, Any]] | None:
        try:
            token = token_from_authorization(get_authorization_header(request))
            if token is None:
                return None
            principal = authenticate_token(token)
        except TokenError as error:
            raise as_api_exception(error) from None
        bind_user(str(principal.user_id))
        return principal, dict(principal.claims)

    def authenticate_header(self, request: Request) -> str:
        return f'Bearer realm="{self.realm}"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents the scheme in the OpenAPI schema (drf-spectacular finds it by subclassing)."""

    target_class = "bazaar_platform.tokens.drf.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (RS256, typ at+jwt)"}
