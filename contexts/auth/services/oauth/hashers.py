"""The hasher for OAuth client secrets (``OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"]``).

Client secrets are 128 random characters from django-oauth-toolkit's generator (about
760 bits): no dictionary, nothing to brute-force. A password KDF (PBKDF2 with a million
rounds, 0.3 to 0.8 s here) would protect nothing more and would make every confidential
token, refresh, revocation and introspection request cost that much CPU — an easy
denial of service. So secrets are stored as a salted SHA-256, like our refresh tokens,
and still never in clear. It is listed *after* the project's password hashers in
``PASSWORD_HASHERS``, so no user password is ever hashed with it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare


class ClientSecretHasher(BasePasswordHasher):
    algorithm = "bazaar_client_secret_sha256"

    def encode(self, password: str, salt: str) -> str:
        if password is None or not salt or "$" in salt:
            raise ValueError("a password and a salt without '$' are required")
        digest = hashlib.sha256((salt + password).encode()).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict[Any, Any]:
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "salt": mask_hash(decoded["salt"], show=2),
            "hash": mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        return False

    def harden_runtime(self, password: str, encoded: str) -> None:
        return None
