"""The OAuth 2.0 / OpenID Connect provider endpoints under ``/o/`` (django-oauth-toolkit views).

These speak OAuth, not the API envelope: RFC 6749 JSON errors (``error``,
``error_description``) from the token, revocation and introspection endpoints, errors
in the redirect from the authorization endpoint, and a page (or JSON, if the caller
prefers it) when the request cannot be redirected (unknown client, wrong redirect URI).

* ``authorize/``: the toolkit's view, plus remembered consent per (user, application,
  scope set), role-filtered scopes, ``prompt=none|login|consent`` and the RFC 9207
  ``iss`` on every redirect, errors included;
* ``token/``, ``revoke_token/``, ``userinfo/``: the toolkit's views (no device flow);
* ``introspect/``: RFC 7662 for a client's own tokens;
* ``login/``, ``logout/``: the session the consent page needs (the same throttled
  credential check as ``/api/v1/auth/login``);
* ``/.well-known/openid-configuration``: discovery, issuer ``SITE_URL``.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.oauth2_backends import _add_iss_to_redirect
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView, TokenView
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth2.rfc6749 import errors

from contexts.auth.selectors import (
    access_token_by_value,
    application_get,
    consent_covers,
    refresh_token_by_value,
    user_role_names,
)
from contexts.auth.services import accounts
from contexts.auth.services.oauth.scopes import CATALOGUE, scope_list, scopes_grantable
from contexts.auth.services.oauth.tokens import issuer, unverified_claims
from contexts.auth.services.throttle import LoginThrottledError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get(settings.AUTH_CLIENT_IP_META or "REMOTE_ADDR", "") or "")[:64]


def oauth_error(error: str, description: str, status: int = 400, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    for name, value in {**NO_STORE, **headers}.items():
        response[name] = value
    return response


# --- the authorization endpoint -------------------------------------------------------------
class AuthorizeView(AuthorizationView):
    """GET: approve silently when the user already consented to these scopes (or the
    application is trusted by staff), else show the consent page; POST: the answer."""

    template_name = "oauth2_provider/authorize.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        application = application_get(client_id=credentials["client_id"])
        assert application is not None  # validated above
        prompt = set(request.GET.get("prompt", "").split())
        user_id = cast(UUID, request.user.pk)  # LoginRequiredMixin: a signed-in user
        granted = scopes_grantable(scopes, roles=user_role_names(user_id=user_id))
        if scopes and not granted:
            return self._redirect_error(
                errors.InvalidScopeError(
                    description="None of the requested scopes can be granted to this account.",
                    request=credentials["request"],
                ),
                application,
            )
        interactive = bool(prompt & {"login", "consent"})
        if not interactive and (
            application.skip_authorization
            or consent_covers(user_id=user_id, application_id=application.pk, scopes=granted)
        ):
            try:
                uri, _headers, _body, _status = self.create_authorization_response(
                    request=request, scopes=" ".join(granted), credentials=credentials, allow=True
                )
            except OAuthToolkitError as error:
                return self.error_response(error, application)
            return self.redirect(uri, application)
        if "none" in prompt:
            return self._redirect_error(
                errors.ConsentRequired(
                    description="The user has not authorised these scopes for this application.",
                    request=credentials["request"],
                ),
                application,
            )
        return super().get(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        # Whatever the form says, a user grants only what their roles allow.
        roles = user_role_names(user_id=self.request.user.pk)
        form.cleaned_data["scope"] = " ".join(
            scopes_grantable(str(form.cleaned_data.get("scope", "")).split(), roles=roles)
        )
        return super().form_valid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        application = context.get("application")
        if application is not None:
            requested = scope_list(context.get("scopes", []))
            granted = scopes_grantable(
                requested, roles=user_role_names(user_id=self.request.user.pk)
            )
            owner = application.user
            context.update(
                {
                    "granted_scopes": [CATALOGUE[name] for name in granted],
                    "withheld_scopes": [
                        CATALOGUE[name] for name in requested if name not in granted
                    ],
                    "owner_name": (owner.full_name or owner.email) if owner else "Bazaar staff",
                    "redirect_host": _host(context.get("redirect_uri", "")),
                }
            )
        return context

    def _redirect_error(self, error: errors.OAuth2Error, application: Any) -> HttpResponse:
        return self.error_response(
            OAuthToolkitError(error=error, redirect_uri=error.redirect_uri), application
        )

    def error_response(self, error: Any, application: Any, **kwargs: Any) -> HttpResponse:
        redirect_, response = OAuthLibMixin.error_response(self, error, **kwargs)
        if redirect_:
            return self.redirect(response["url"], application)
        oauthlib_error = response["error"]
        status = oauthlib_error.status_code
        if self.request.get_preferred_type(["text/html", "application/json"]) == "application/json":
            return oauth_error(oauthlib_error.error, oauthlib_error.description or "", status)
        return self.render_to_response(response, status=status)

    def redirect(self, redirect_to: str, application: Any) -> HttpResponse:
        # RFC 9207: the issuer rides on every authorization response, errors included
        # (the toolkit adds it to successful ones only).
        return super().redirect(_add_iss_to_redirect(redirect_to, issuer()), application)


def _host(uri: str) -> str:
    return urlsplit(uri).netloc


# --- token, revocation, introspection --------------------------------------------------------
class TokenApi(TokenView):
    """The toolkit's token endpoint, without its device-flow branch (no device grant here).

    Every answer is JSON and ``no-store`` (RFC 6749 §5.1), also for an error raised after
    the grant's own validation, which the toolkit would send without those headers.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = self.authorization_flow_token_response(request)
        response["Content-Type"] = "application/json"
        for name, value in NO_STORE.items():
            response[name] = value
        return response


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class IntrospectApi(OAuthLibMixin, View):
    """RFC 7662 token introspection, for an authenticated client and its own tokens only.

    (The toolkit's view lets any registered client introspect any token.) ``POST``
    with ``token`` and an optional ``token_type_hint``; a token of another client,
    unknown, revoked or expired is ``{"active": false}``.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        core = self.get_oauthlib_core()
        uri, method, body, headers = core._extract_params(request)
        oauth_request = OAuthRequest(uri, method, body, headers)
        if not core.server.request_validator.authenticate_client(oauth_request):
            return oauth_error(
                "invalid_client",
                "Client authentication failed.",
                401,
                **{"WWW-Authenticate": 'Basic realm="introspection"'},
            )
        client = oauth_request.client
        token = request.POST.get("token")
        if not token:
            return oauth_error("invalid_request", "The token parameter is missing.")
        hint = request.POST.get("token_type_hint", "access_token")
        order = (
            ("refresh_token", "access_token")
            if hint == "refresh_token"
            else (
                "access_token",
                "refresh_token",
            )
        )
        for kind in order:
            data = _introspect(kind, token, client)
            if data is not None:
                return JsonResponse(data, headers=NO_STORE)
        return JsonResponse({"active": False}, headers=NO_STORE)


def _introspect(kind: str, token: str, client: Any) -> dict[str, Any] | None:
    if kind == "access_token":
        row = access_token_by_value(token=token)
        if row is None or row.application_id != client.pk:
            return None
        if not row.is_valid():
            return {"active": False}
        claims = unverified_claims(token)
        return {
            "active": True,
            "token_type": "Bearer",
            "scope": row.scope,
            "client_id": client.client_id,
            "sub": claims.get("sub"),
            "aud": claims.get("aud"),
            "iss": claims.get("iss"),
            "exp": claims.get("exp"),
            "iat": claims.get("iat"),
            "jti": claims.get("jti"),
        }
    refresh = refresh_token_by_value(token=token)
    if refresh is None or refresh.application_id != client.pk:
        return None
    if refresh.revoked is not None or refresh.access_token is None:
        return {"active": False}
    return {
        "active": True,
        "token_type": "refresh_token",
        "scope": refresh.access_token.scope,
        "client_id": client.client_id,
        "sub": str(refresh.user_id),
    }


# --- discovery ------------------------------------------------------------------------------
class DiscoveryView(View):
    """OpenID Provider metadata (and RFC 8414 authorization-server metadata): what the
    server really does. The toolkit's own document would advertise HS256 and its own
    JWKS view; ours names the key store's JWKS and RS256 only."""

    http_method_names = ["get", "head", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        base = issuer()

        def endpoint(name: str) -> str:
            return base + reverse(f"oauth2_provider:{name}")

        validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
        client_auth = list(oauth2_settings.OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED)
        data = {
            "issuer": base,
            "authorization_endpoint": endpoint("authorize"),
            "token_endpoint": endpoint("token"),
            "userinfo_endpoint": endpoint("user-info"),
            "jwks_uri": base + reverse("jwks"),
            "revocation_endpoint": endpoint("revoke-token"),
            "introspection_endpoint": endpoint("introspect"),
            "scopes_supported": list(CATALOGUE),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(oauth2_settings.OAUTH2_GRANT_TYPES_SUPPORTED),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [settings.AUTH_SIGNING_ALGORITHM],
            "token_endpoint_auth_methods_supported": client_auth,
            "revocation_endpoint_auth_methods_supported": client_auth,
            "introspection_endpoint_auth_methods_supported": [
                m for m in client_auth if m != "none"
            ],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": validator.get_discovery_claims(request),
            "prompt_values_supported": ["none", "login", "consent"],
            "authorization_response_iss_parameter_supported": True,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "claims_parameter_supported": False,
        }
        response = JsonResponse(data)
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=3600"
        return response


# --- the session behind the consent page ---------------------------------------------------------
@method_decorator(never_cache, name="dispatch")
class LoginPage(View):
    template_name = "oauth2_provider/login.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, next_url=request.GET.get("next", ""))

    def post(self, request: HttpRequest) -> HttpResponse:
        next_url = request.POST.get("next", "")
        email = request.POST.get("email", "")[:254]
        password = request.POST.get("password", "")[:4096]
        try:
            user = accounts.user_login(email=email, password=password, ip=_client_ip(request))
        except LoginThrottledError as exc:
            response = self._page(request, next_url=next_url, error=exc.message, status=429)
            response["Retry-After"] = str(int(exc.retry_after))
            return response
        except accounts.InvalidCredentialsError as exc:
            return self._page(request, next_url=next_url, error=exc.message, status=400)
        django_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = "/"
        return redirect(next_url)

    def _page(
        self, request: HttpRequest, *, next_url: str, error: str = "", status: int = 200
    ) -> HttpResponse:
        return render(
            request,
            self.template_name,
            {"next": next_url, "error": error, "email": request.POST.get("email", "")},
            status=status,
        )


class LogoutPage(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        django_logout(request)
        return redirect(reverse("oauth2_provider:login"))
