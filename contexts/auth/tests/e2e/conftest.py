"""A live provider for end-to-end tests: pytest-django's live server, with SITE_URL (the
one issuer) pointed at it, so discovery, tokens and the verifier all agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from contexts.auth.models import User
from contexts.auth.tests.factories import PASSWORD, make_user
from contexts.auth.tests.oauth_support import App, make_app


@dataclass
class Provider:
    url: str
    user: User
    password: str
    app: App


@pytest.fixture
def provider(
    live_server: Any, transactional_db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Provider:
    url = str(live_server.url)
    settings.SITE_URL = url
    settings.BAZAAR_TOKENS = {**settings.BAZAAR_TOKENS, "ISSUER": url}
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": url}
    # The live server speaks plain http on localhost: cookies marked Secure would never
    # come back from requests' cookie jar.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # authlib insists on https otherwise
    owner = make_user(full_name="Olga Owner", email="olga@dev.example.test")
    user = make_user(full_name="Casey Customer", email="casey@example.test")
    return Provider(url=url, user=user, password=PASSWORD, app=make_app(owner))
