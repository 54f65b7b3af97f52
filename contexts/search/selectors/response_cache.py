"""A short-lived cache of search responses, keyed by the normalised request and the read
model's **revision**.

The revision is a random token in the shared cache, replaced by every write to the read
model (a document, its offers, its rating or units sold, a reindex): a cached response
is only ever served for the revision it was computed at, so a search never shows a
document change that has been committed longer ago than the token's replacement.
Writers replace it twice: at once (a search later in the same transaction, or a test
whose transaction is rolled back, never reads an older response) and again after
commit (a search that read the new token but the old rows before the commit cannot
leave its response under the token searches will use afterwards).

``SEARCH_RESPONSE_CACHE_SECONDS`` bounds how long an entry lives (memory, not
freshness); ``0`` turns the cache off. The token is per database, so two test databases
sharing a Redis never see each other's responses.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from contexts.search.selectors import fold

#: What a miss returns; a stored response is a dict, so ``None`` stays distinguishable.
_MISSING = object()


def _revision_key() -> str:
    return f"search:revision:{connection.settings_dict['NAME']}"


def enabled() -> bool:
    return int(getattr(settings, "SEARCH_RESPONSE_CACHE_SECONDS", 0)) > 0


def revision() -> str:
    """The read model's current revision token (created on first use)."""
    key = _revision_key()
    current = cache.get(key)
    if current is None:
        cache.add(key, uuid.uuid4().hex, None)
        current = cache.get(key)
    return str(current)


def revision_bump() -> None:
    """The read model changed: responses cached so far are never served again."""
    key = _revision_key()

    def bump() -> None:
        cache.set(key, uuid.uuid4().hex, None)

    bump()
    if connection.in_atomic_block:
        transaction.on_commit(bump)


def normalised_params(params: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The request's parameters in one order; the query folded and its spaces collapsed
    (the search itself reads the query folded, so the answer is the same)."""
    out = []
    for name, value in params:
        if name == "q":
            value = " ".join(fold(value).split())
        out.append((name, value))
    return sorted(out)


def response_key(params: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.sha256(json.dumps(normalised_params(params)).encode()).hexdigest()
    return f"search:response:{revision()}:{digest}"


def response_get(key: str) -> Any:
    """The cached response under ``key``, or None."""
    value = cache.get(key, _MISSING)
    return None if value is _MISSING else value


def response_set(key: str, body: dict[str, Any]) -> None:
    cache.set(key, body, int(settings.SEARCH_RESPONSE_CACHE_SECONDS))
