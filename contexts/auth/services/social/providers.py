"""Social log-in providers behind one interface, and the registry users pick from.

Each provider is an OAuth 2 authorization-code client (authlib) with state and
PKCE (S256). Its URLs come from ``settings.AUTH_SOCIAL_PROVIDERS`` so tests (and
GitHub Enterprise) can point them elsewhere. A provider is offered only when its
client id is configured.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings

from bazaar_platform.api.errors import ApplicationError

HTTP_TIMEOUT = 10


class ProviderError(ApplicationError):
    status_code = 502
    code = "social_provider_error"


@dataclass(frozen=True)
class SocialProfile:
    provider: str
    subject: str  # the provider's stable id for the user
    email: str | None  # the primary address, if the provider vouches for one
    email_verified: bool
    full_name: str


class OAuthProvider(ABC):
    name: ClassVar[str]
    display_name: ClassVar[str]
    scope: ClassVar[str]

    def __init__(self, config: dict[str, str]) -> None:
        self.config = config

    @property
    def enabled(self) -> bool:
        return bool(self.config.get("CLIENT_ID"))

    def _session(self, redirect_uri: str, **kwargs: Any) -> OAuth2Session:
        return OAuth2Session(
            client_id=self.config["CLIENT_ID"],
            client_secret=self.config.get("CLIENT_SECRET", ""),
            scope=self.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            **kwargs,
        )

    def authorization_url(self, *, state: str, code_verifier: str, redirect_uri: str) -> str:
        with self._session(redirect_uri) as session:
            url, _ = session.create_authorization_url(
                self.config["AUTHORIZE_URL"], state=state, code_verifier=code_verifier
            )
        return str(url)

    def fetch_profile(self, *, code: str, code_verifier: str, redirect_uri: str) -> SocialProfile:
        """Exchange the code (with the PKCE verifier) and read who the user is."""
        try:
            with self._session(redirect_uri) as session:
                token = session.fetch_token(
                    self.config["TOKEN_URL"],
                    code=code,
                    code_verifier=code_verifier,
                    headers={"Accept": "application/json"},
                    timeout=HTTP_TIMEOUT,
                )
                if not token.get("access_token"):
                    raise ProviderError(f"{self.display_name} returned no access token.")
                return self.read_profile(session)
        except ProviderError:
            raise
        except Exception as exc:  # network errors, OAuth errors, unexpected JSON
            raise ProviderError(
                f"{self.display_name} log-in failed: {type(exc).__name__}."
            ) from exc

    @abstractmethod
    def read_profile(self, session: OAuth2Session) -> SocialProfile:
        """Call the provider's API with the session's token."""


class GitHubProvider(OAuthProvider):
    name = "github"
    display_name = "GitHub"
    scope = "read:user user:email"

    def read_profile(self, session: OAuth2Session) -> SocialProfile:
        api = self.config["API_URL"].rstrip("/")
        headers = {"Accept": "application/vnd.github+json"}
        user = session.get(f"{api}/user", headers=headers, timeout=HTTP_TIMEOUT)
        user.raise_for_status()
        emails = session.get(f"{api}/user/emails", headers=headers, timeout=HTTP_TIMEOUT)
        emails.raise_for_status()
        data: dict[str, Any] = user.json()
        primary = next(
            (e for e in emails.json() if isinstance(e, dict) and e.get("primary")),
            None,
        )
        return SocialProfile(
            provider=self.name,
            subject=str(data["id"]),
            email=str(primary["email"]).lower() if primary and primary.get("email") else None,
            email_verified=bool(primary and primary.get("verified")),
            full_name=str(data.get("name") or data.get("login") or ""),
        )


class GoogleProvider(OAuthProvider):
    name = "google"
    display_name = "Google"
    scope = "openid email profile"

    def read_profile(self, session: OAuth2Session) -> SocialProfile:
        response = session.get(self.config["USERINFO_URL"], timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        email = data.get("email")
        return SocialProfile(
            provider=self.name,
            subject=str(data["sub"]),
            email=str(email).lower() if email else None,
            email_verified=data.get("email_verified") is True,
            full_name=str(data.get("name") or ""),
        )


PROVIDER_CLASSES: dict[str, type[OAuthProvider]] = {
    GitHubProvider.name: GitHubProvider,
    GoogleProvider.name: GoogleProvider,
}


def provider_get(name: str) -> OAuthProvider | None:
    """The enabled provider called ``name``, or ``None``."""
    cls = PROVIDER_CLASSES.get(name)
    if cls is None:
        return None
    provider = cls(dict(settings.AUTH_SOCIAL_PROVIDERS.get(name, {})))
    return provider if provider.enabled else None


def providers_enabled() -> list[OAuthProvider]:
    return [p for p in (provider_get(name) for name in PROVIDER_CLASSES) if p is not None]
