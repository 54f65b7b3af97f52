"""The oauthlib server django-oauth-toolkit drives (``OAUTH2_SERVER_CLASS``), trimmed.

oauthlib's OpenID Connect server wires every grant it knows. We keep exactly the ones
RFC 9700 leaves standing and that we offer:

* response types: ``code`` only (no implicit ``token``/``id_token``, no hybrid, no
  ``none``): anything else is ``unsupported_response_type``;
* grant types: ``authorization_code``, ``refresh_token``, ``client_credentials`` (no
  ``password``, no device code): anything else is ``unsupported_grant_type``;
* PKCE: ``S256`` only. A ``plain`` challenge, or one without a method (which RFC 7636
  defaults to ``plain``), is refused at the authorization endpoint;
* protected-resource checks: ``Bearer`` only. oauthlib would otherwise treat any
  ``ey…`` token as an OIDC "JWT" token and accept an *ID token* as an access token.
"""

from __future__ import annotations

from typing import Any

from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server

S256_ONLY = {"S256": code_challenge_method_s256}


class BazaarOAuthServer(Server):
    def __init__(self, request_validator: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(request_validator, *args, **kwargs)
        # Instance attributes shadow oauthlib's class-level table of PKCE methods. The
        # OIDC grant proxies to an OAuth2 grant, which is the one that checks.
        for grant in (self.auth_grant, self.openid_connect_auth.proxy_target):
            grant._code_challenge_methods = S256_ONLY
        self._response_types = {"code": self.auth_grant_choice}
        self._grant_types = {
            "authorization_code": self.token_grant_choice,
            "refresh_token": self.refresh_grant,
            "client_credentials": self.credentials_grant,
        }
        self._tokens = {"Bearer": self.bearer}
