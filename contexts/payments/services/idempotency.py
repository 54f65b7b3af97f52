"""Idempotency keys: stable ids and request fingerprints."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID, uuid5

from bazaar_platform.api.errors import ApplicationError

# Fixed namespaces: ids derived from keys must never change between releases.
_PAYMENT_NS = UUID("5b0b8a0e-7f0c-4a53-9a57-4f1b8f6b6a01")
_REFUND_NS = UUID("5b0b8a0e-7f0c-4a53-9a57-4f1b8f6b6a02")


def key_validate(idempotency_key: object) -> str:
    if (
        not isinstance(idempotency_key, str)
        or not idempotency_key.strip()
        or len(idempotency_key) > 255
    ):
        raise ApplicationError(
            "An idempotency key of 1 to 255 characters is required.",
            code="invalid_idempotency_key",
            fields={"idempotency_key": ["1 to 255 characters."]},
        )
    return idempotency_key


def payment_id_for(idempotency_key: str) -> UUID:
    return uuid5(_PAYMENT_NS, idempotency_key)


def refund_id_for(idempotency_key: str) -> UUID:
    return uuid5(_REFUND_NS, idempotency_key)


def fingerprint(values: dict[str, Any]) -> str:
    """A digest of the request's arguments: same key + other arguments = a conflict."""
    canonical = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
