"""Find the bearer token a request or a websocket handshake carries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

from bazaar_platform.tokens.errors import MalformedTokenError

BEARER = "bearer"
#: Browsers cannot set headers on a websocket: they pass ``Sec-WebSocket-Protocol:
#: bearer, <token>``; the server must then accept the ``bearer`` subprotocol.
WEBSOCKET_SUBPROTOCOL = "bearer"


def token_from_authorization(value: str | bytes | None) -> str | None:
    """``Authorization: Bearer <token>`` to the token; ``None`` for another or no scheme.

    Raises :class:`MalformedTokenError` for a Bearer header without exactly one token.
    """
    if not value:
        return None
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedTokenError("Authorization header is not ASCII") from None
    parts = value.split()
    if not parts or parts[0].lower() != BEARER:
        return None
    if len(parts) != 2:
        raise MalformedTokenError("Bearer needs exactly one token")
    return parts[1]


def extract_token(headers: Mapping[str, Any]) -> str | None:
    """From a request's headers (``request.headers`` or a plain mapping)."""
    return token_from_authorization(headers.get("Authorization") or headers.get("authorization"))


def extract_from_scope(scope: Mapping[str, Any]) -> str | None:
    """From an ASGI scope: ``?token=``, the ``bearer`` subprotocol, or an Authorization header."""
    query = scope.get("query_string", b"")
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    values = parse_qs(str(query), keep_blank_values=True).get("token")
    if values:
        if len(values) != 1 or not values[0]:
            raise MalformedTokenError("one token= parameter expected")
        return values[0]
    subprotocols: Iterable[str] = scope.get("subprotocols") or ()
    protocols = [p.strip() for p in subprotocols]
    if WEBSOCKET_SUBPROTOCOL in protocols:
        index = protocols.index(WEBSOCKET_SUBPROTOCOL)
        if index + 1 >= len(protocols) or not protocols[index + 1]:
            raise MalformedTokenError("the bearer subprotocol must be followed by the token")
        return protocols[index + 1]
    for name, value in scope.get("headers") or ():
        if name.lower() == b"authorization":
            return token_from_authorization(value)
    return None
