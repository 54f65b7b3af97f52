"""Test helpers: keys, a configurable JWKS source, token minting, tiny HTTP servers."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.cache import cache as django_cache

from contexts.auth.services.keys import public_jwk


@cache
def rsa_key(name: str = "a") -> rsa.RSAPrivateKey:
    """Session-wide test keys (generating RSA keys is slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def kid_of(key: rsa.RSAPrivateKey) -> str:
    return str(public_jwk(key)["kid"])


# A JWKS source for tests that exercise the verifier without the key store.
JWKS: dict[str, Any] = {"keys": []}
JWKS_CALLS = {"count": 0}


def jwks_source() -> dict[str, Any]:
    JWKS_CALLS["count"] += 1
    return JWKS


def failing_loader(*, user_id: uuid.UUID) -> Any:
    raise ConnectionError("auth facade is down")


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": settings.SITE_URL,
        "aud": "bazaar-api",
        "sub": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "roles": ["customer"],
        "scope": "read write",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(
    payload: dict[str, Any], key: Any, *, alg: str = "RS256", headers: dict[str, Any] | None = None
) -> str:
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A real HTTP server on a free loopback port, in a thread; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def json_handler(routes: dict[str, Callable[[], Any]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        hits: list[str] = []

        def do_GET(self) -> None:
            Handler.hits.append(self.path)
            producer = routes.get(self.path)
            body = json.dumps(producer() if producer else {"error": "not found"}).encode()
            self.send_response(200 if producer else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


# --- a loader that can be made to fail, without changing settings mid-test -----------------------
LOADER_STATE: dict[str, Any] = {"fail": False, "calls": 0, "during_load": None}


def switchable_loader(*, user_id: uuid.UUID) -> Any:
    from contexts.auth.facade import user_status_for_guard

    LOADER_STATE["calls"] += 1
    if LOADER_STATE["fail"]:
        raise ConnectionError("auth facade is down")
    result = user_status_for_guard(user_id=user_id)
    hook = LOADER_STATE["during_load"]
    if hook is not None:
        hook(user_id)
    return result


def clear_cache() -> None:
    """Empty this test session's cache keys only (django-redis: by prefix; else all)."""
    delete_pattern = getattr(django_cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern("*")
    else:
        django_cache.clear()
