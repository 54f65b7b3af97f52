"""Why a token was refused. Each error has a stable ``code`` for the API's error format.

The messages are deliberately coarse: a client learns that its token is unusable
(and whether refreshing it helps), not which check an attacker's forgery failed.
"""

from __future__ import annotations


class TokenError(Exception):
    code: str = "invalid_token"
    message: str = "The access token is invalid."

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason or self.message)
        self.reason = reason  # for logs only; never sent to the client


class InvalidTokenError(TokenError):
    code = "invalid_token"
    message = "The access token is invalid."


class MalformedTokenError(InvalidTokenError):
    message = "The access token is malformed."


class UnknownSigningKeyError(InvalidTokenError):
    """The token names a ``kid`` that the published key set does not hold."""


class ExpiredTokenError(TokenError):
    code = "token_expired"
    message = "The access token has expired."


class KeysUnavailableError(TokenError):
    """No key set could be loaded at all: a server-side problem, answered with 503."""

    code = "token_keys_unavailable"
    message = "Token verification keys are unavailable; try again shortly."
