"""Pytest plugin (``-p tests.support.cache_isolation`` in ``pyproject.toml``): keep the
shared cache of one test process out of every other's, and out of the next test's.

The services profile points every test process (each xdist worker, each run) at the
same Redis database. Cached responses are keyed by their context's revision, and two
processes with the same key prefix would share a revision while holding different
databases; so each process gets its own prefix, set here before Django reads its
settings, and inherited by the servers and workers a test starts. Within a process,
each test starts from fresh revisions, as it starts from a fresh database.
"""

from __future__ import annotations

import os
import uuid

import pytest

os.environ["CACHE_KEY_PREFIX"] = f"bazaar-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(autouse=True)
def _fresh_response_cache_revisions() -> None:
    from bazaar_platform.api.response_cache import ResponseCache

    ResponseCache.invalidate_all()
