"""Helpers for the OAuth provider's tests: applications, PKCE, the consent dance."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client

from contexts.auth.models import OAuthApplication, User
from contexts.auth.services.oauth.applications import application_register

REDIRECT_URI = "https://client.example.test/callback"
AUTHORIZE = "/o/authorize/"
TOKEN = "/o/token/"
REVOKE = "/o/revoke_token/"
INTROSPECT = "/o/introspect/"
USERINFO = "/o/userinfo/"


@dataclass
class App:
    application: OAuthApplication
    secret: str | None

    @property
    def client_id(self) -> str:
        return self.application.client_id

    def credentials(self) -> dict[str, str]:
        """Client authentication in the token request body (client_secret_post)."""
        data = {"client_id": self.client_id}
        if self.secret:
            data["client_secret"] = self.secret
        return data


def make_app(
    owner: User,
    *,
    name: str = "Acme Orders",
    client_type: str = "confidential",
    grant_type: str = "authorization_code",
    redirect_uris: list[str] | None = None,
    logo_url: str = "",
) -> App:
    issued = application_register(
        owner_id=owner.pk,
        name=name,
        redirect_uris=(
            redirect_uris
            if redirect_uris is not None
            else ([REDIRECT_URI] if grant_type == "authorization_code" else [])
        ),
        client_type=client_type,
        grant_type=grant_type,
        logo_url=logo_url,
    )
    return App(application=issued.application, secret=issued.client_secret)


def pkce() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def authorize_params(
    app: App, *, scope: str = "openid profile", challenge: str | None = None, **extra: str
) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": secrets.token_urlsafe(12),
    }
    if challenge is not None:
        params["code_challenge"] = challenge
        params["code_challenge_method"] = "S256"
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class FormParser(HTMLParser):
    """The inputs of the first form with the given id (hidden fields included)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.found = False
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form" and attributes.get("id") == self.form_id:
            self.inside = self.found = True
        elif (
            tag == "input"
            and self.inside
            and attributes.get("name")
            and attributes.get("type") != "submit"
        ):
            self.fields[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def form_fields(html: str, form_id: str = "authorizationForm") -> dict[str, str]:
    parser = FormParser(form_id)
    parser.feed(html)
    assert parser.found, f"no form #{form_id} in the page"
    return parser.fields


def approve(client: Client, params: dict[str, str], *, allow: bool = True) -> Any:
    """GET the consent page for ``params`` and answer it; returns the POST's response."""
    page = client.get(AUTHORIZE, params)
    assert page.status_code == 200, page.content[:500]
    fields = form_fields(page.content.decode())
    if allow:
        fields["allow"] = "Allow"
    return client.post(AUTHORIZE, fields)


def get_code(client: Client, app: App, *, scope: str = "openid profile") -> tuple[str, str]:
    """Run the consent dance for a signed-in ``client``: (code, code_verifier).

    When the user already consented to these scopes, no page is shown: the GET redirects.
    """
    verifier, challenge = pkce()
    params = authorize_params(app, scope=scope, challenge=challenge)
    response = client.get(AUTHORIZE, params)
    if response.status_code == 200:
        fields = form_fields(response.content.decode())
        fields["allow"] = "Allow"
        response = client.post(AUTHORIZE, fields)
    assert response.status_code == 302, response.content[:500]
    query = query_of(response["Location"])
    assert query.get("state") == params["state"], query
    return query["code"], verifier


def exchange(client: Client, app: App, code: str, verifier: str | None, **extra: str) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        **app.credentials(),
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(extra)
    return client.post(TOKEN, urlencode(data), content_type="application/x-www-form-urlencoded")


def post_form(client: Client, url: str, data: dict[str, str], **headers: Any) -> Any:
    return client.post(
        url, urlencode(data), content_type="application/x-www-form-urlencoded", **headers
    )


def tokens_for(client: Client, app: App, *, scope: str = "openid profile") -> dict[str, Any]:
    code, verifier = get_code(client, app, scope=scope)
    response = exchange(client, app, code, verifier)
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def refresh(client: Client, app: App, refresh_token: str, **extra: str) -> Any:
    return post_form(
        client,
        TOKEN,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            **app.credentials(),
            **extra,
        },
    )
