"""Search responses cached until the read model changes: the platform's revision-keyed
:class:`~bazaar_platform.api.response_cache.ResponseCache` (ADR 0010), the same one the
catalogue's browsing uses.

Every write to the read model (a document, its offers, its rating or units sold, a
reindex) calls :func:`revision_bump`, which replaces the search revision at once and
again after commit; ``SEARCH_RESPONSE_CACHE_SECONDS`` bounds an entry's life, ``0``
turns the cache off.
"""

from __future__ import annotations

from bazaar_platform.api.response_cache import ResponseCache

search_cache = ResponseCache("search", timeout_setting="SEARCH_RESPONSE_CACHE_SECONDS")


def revision_bump() -> None:
    """The read model changed: responses cached so far are never served again."""
    search_cache.invalidate()
