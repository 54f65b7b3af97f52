"""The token package's settings: ``settings.BAZAAR_TOKENS`` over these defaults.

The platform never imports a context, so everything that comes from the auth
context (where the public keys are, how to load an account's status) is named
here by settings: a URL or a dotted path to a callable.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


@dataclass(frozen=True)
class TokenSettings:
    issuer: str
    audience: str
    algorithms: tuple[str, ...]
    token_types: tuple[str, ...]
    leeway_seconds: float
    max_token_length: int
    jwks_source: str  # dotted path to a zero-argument callable returning a JWKS dict
    jwks_url: str  # or a URL serving the JWKS document (used when jwks_source is empty)
    jwks_cache_ttl: float
    jwks_refresh_min_interval: float
    jwks_http_timeout: float
    cache_alias: str
    status_loader: str  # dotted path: loader(*, user_id: UUID) -> status object | mapping | None
    status_memory_ttl: float
    status_shared_ttl: int
    status_stale_if_error: float
    status_tombstone_seconds: int
    status_channel: str
    redis_url: str  # pub/sub for cross-process invalidation; empty = single process


_DEFAULTS: dict[str, Any] = {
    "AUDIENCE": "bazaar-api",
    "ALGORITHMS": ("RS256",),
    "TOKEN_TYPES": ("at+jwt",),
    "LEEWAY_SECONDS": 30,
    "MAX_TOKEN_LENGTH": 8192,
    "JWKS_SOURCE": "",
    "JWKS_URL": "",
    "JWKS_CACHE_TTL": 300,
    "JWKS_REFRESH_MIN_INTERVAL": 2.0,
    "JWKS_HTTP_TIMEOUT": 3.0,
    "CACHE_ALIAS": "default",
    "STATUS_LOADER": "",
    "STATUS_MEMORY_TTL": 60,
    "STATUS_SHARED_TTL": 900,
    "STATUS_STALE_IF_ERROR": 900,
    "STATUS_TOMBSTONE_SECONDS": 10,
    "STATUS_CHANNEL": "bazaar:tokens:status-invalidations",
    "REDIS_URL": "",
}


@cache
def token_settings() -> TokenSettings:
    raw = {**_DEFAULTS, **getattr(settings, "BAZAAR_TOKENS", {})}
    issuer = raw.get("ISSUER") or getattr(settings, "SITE_URL", "")
    return TokenSettings(
        issuer=str(issuer).rstrip("/"),
        audience=str(raw["AUDIENCE"]),
        algorithms=tuple(raw["ALGORITHMS"]),
        token_types=tuple(t.lower() for t in raw["TOKEN_TYPES"]),
        leeway_seconds=float(raw["LEEWAY_SECONDS"]),
        max_token_length=int(raw["MAX_TOKEN_LENGTH"]),
        jwks_source=str(raw["JWKS_SOURCE"]),
        jwks_url=str(raw["JWKS_URL"]),
        jwks_cache_ttl=float(raw["JWKS_CACHE_TTL"]),
        jwks_refresh_min_interval=float(raw["JWKS_REFRESH_MIN_INTERVAL"]),
        jwks_http_timeout=float(raw["JWKS_HTTP_TIMEOUT"]),
        cache_alias=str(raw["CACHE_ALIAS"]),
        status_loader=str(raw["STATUS_LOADER"]),
        status_memory_ttl=float(raw["STATUS_MEMORY_TTL"]),
        status_shared_ttl=int(raw["STATUS_SHARED_TTL"]),
        status_stale_if_error=float(raw["STATUS_STALE_IF_ERROR"]),
        status_tombstone_seconds=int(raw["STATUS_TOMBSTONE_SECONDS"]),
        status_channel=str(raw["STATUS_CHANNEL"]),
        redis_url=str(raw["REDIS_URL"]),
    )


@receiver(setting_changed)
def _reset(*, setting: str, **_: object) -> None:
    if setting in {"BAZAAR_TOKENS", "SITE_URL"}:
        token_settings.cache_clear()
        from bazaar_platform.tokens import jwks, status

        jwks.reset_process_state()
        status.reset_process_state()
