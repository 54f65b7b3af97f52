"""The public keys tokens are checked against: a JWKS cached in process memory and the shared cache.

Where the key set comes from is configuration (``BAZAAR_TOKENS``): ``JWKS_SOURCE``
is a dotted path to a zero-argument callable (in the monolith, the auth facade,
so no HTTP hop), ``JWKS_URL`` a URL (an extracted context fetches
``/.well-known/jwks.json``). Nothing here imports a context.

Lookup order for a ``kid``: process memory (fresh for ``JWKS_CACHE_TTL``), then the
shared cache (Redis, same TTL), then the source. A ``kid`` the cached set lacks forces
one reload from the source itself (a freshly rotated key is usable at once), at most
once per ``JWKS_REFRESH_MIN_INTERVAL`` seconds per process, so a flood of tokens with
invented ``kid`` values cannot turn into a flood of key-set fetches.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from django.core.cache import caches
from django.utils.module_loading import import_string
from jwt import PyJWK
from jwt.exceptions import PyJWKError

from bazaar_platform.tokens.conf import token_settings
from bazaar_platform.tokens.errors import KeysUnavailableError, UnknownSigningKeyError

log = structlog.get_logger("bazaar.tokens")

SHARED_CACHE_KEY = "bazaar:tokens:jwks"
_KTY_FOR_ALG = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


@dataclass(frozen=True)
class VerificationKey:
    kid: str
    algorithm: str
    key: Any  # a cryptography public key object


def parse_jwks(
    document: Mapping[str, Any], *, algorithms: tuple[str, ...]
) -> dict[str, VerificationKey]:
    """Keep the usable signing keys of a JWKS: each needs a ``kid`` and an allowed ``alg``.

    Symmetric keys (``kty=oct``) are never accepted, whatever their ``alg`` says: a
    verifier that accepts an HMAC key is open to algorithm confusion.
    """
    keys: dict[str, VerificationKey] = {}
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise KeysUnavailableError("the JWKS document has no 'keys' list")
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        kid, alg, kty = entry.get("kid"), entry.get("alg"), entry.get("kty")
        if not isinstance(kid, str) or not kid or alg not in algorithms:
            continue
        if entry.get("use", "sig") != "sig" or kty != _KTY_FOR_ALG.get(str(alg)[:2]):
            continue
        try:
            key = PyJWK(dict(entry), algorithm=alg).key
        except (PyJWKError, ValueError, TypeError):
            log.warning("jwks_entry_unusable", kid=kid)
            continue
        public = (
            key.public_key()
            if hasattr(key, "private_numbers") or hasattr(key, "private_bytes_raw")
            else key
        )
        keys[kid] = VerificationKey(kid=kid, algorithm=str(alg), key=public)
    return keys


def _fetch_url(url: str, timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - configured URL
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        document: dict[str, Any] = json.loads(response.read(1_000_000))
    return document


def fetch_from_source() -> dict[str, Any]:
    """Load the JWKS from the configured source (callable first, then URL)."""
    conf = token_settings()
    try:
        if conf.jwks_source:
            loader: Callable[[], Mapping[str, Any]] = import_string(conf.jwks_source)
            return dict(loader())
        if conf.jwks_url:
            return _fetch_url(conf.jwks_url, conf.jwks_http_timeout)
    except KeysUnavailableError:
        raise
    except Exception as exc:
        raise KeysUnavailableError(f"JWKS source failed: {type(exc).__name__}: {exc}") from exc
    raise KeysUnavailableError("BAZAAR_TOKENS has neither JWKS_SOURCE nor JWKS_URL")


class JWKSCache:
    def __init__(self) -> None:
        self._keys: dict[str, VerificationKey] = {}
        self._fresh_until = 0.0
        self._last_forced = float("-inf")
        self._lock = threading.Lock()

    def get(self, kid: str) -> VerificationKey:
        now = time.monotonic()
        if now < self._fresh_until:
            key = self._keys.get(kid)
            if key is not None:
                return key
        else:
            with self._lock:
                if time.monotonic() >= self._fresh_until:
                    self._reload(use_shared=True)
            key = self._keys.get(kid)
            if key is not None:
                return key
        return self._on_unknown_kid(kid)

    def _on_unknown_kid(self, kid: str) -> VerificationKey:
        conf = token_settings()
        with self._lock:
            key = self._keys.get(kid)
            if key is not None:  # another thread reloaded meanwhile
                return key
            now = time.monotonic()
            if now - self._last_forced >= conf.jwks_refresh_min_interval:
                self._last_forced = now
                self._reload(use_shared=False)
                key = self._keys.get(kid)
                if key is not None:
                    return key
        raise UnknownSigningKeyError(f"no published key has kid {kid[:64]!r}")

    def _reload(self, *, use_shared: bool) -> None:
        conf = token_settings()
        shared = caches[conf.cache_alias]
        document: Mapping[str, Any] | None = None
        if use_shared:
            try:
                document = shared.get(SHARED_CACHE_KEY)
            except Exception:
                log.warning("jwks_shared_cache_unavailable", exc_info=True)
        if document is None:
            try:
                document = fetch_from_source()
            except KeysUnavailableError:
                if self._keys:  # stale-if-error: keep verifying with the keys we had
                    log.warning("jwks_source_failed_keeping_stale_keys", exc_info=True)
                    self._fresh_until = time.monotonic() + min(30.0, conf.jwks_cache_ttl)
                    return
                raise
            try:
                shared.set(SHARED_CACHE_KEY, document, timeout=int(conf.jwks_cache_ttl))
            except Exception:
                log.warning("jwks_shared_cache_unavailable", exc_info=True)
        self._keys = parse_jwks(document, algorithms=conf.algorithms)
        self._fresh_until = time.monotonic() + conf.jwks_cache_ttl

    def clear(self) -> None:
        with self._lock:
            self._keys = {}
            self._fresh_until = 0.0
            self._last_forced = float("-inf")


_cache = JWKSCache()


def get_verification_key(kid: str) -> VerificationKey:
    return _cache.get(kid)


def invalidate_jwks() -> None:
    """Drop the key set from this process and from the shared cache.

    The key store calls this after a rotation; other processes find a new ``kid``
    by themselves (an unknown ``kid`` forces a reload from the source).
    """
    _cache.clear()
    try:
        caches[token_settings().cache_alias].delete(SHARED_CACHE_KEY)
    except Exception:
        log.warning("jwks_shared_cache_unavailable", exc_info=True)


def reset_process_state() -> None:
    """Forget this process's copy (tests; settings changes)."""
    _cache.clear()
