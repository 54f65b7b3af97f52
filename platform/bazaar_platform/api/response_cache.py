"""A shared cache of public read responses, invalidated by revision.

Browsing endpoints (a catalogue page, a product page) are read thousands of times for
each change, and building one costs a dozen milliseconds of SQL. Django's own
``cache_page`` keys on the URL and expires by time only, so it serves stale pages until
its timeout; HTTP caches in front of us see only what we send them. What no library
gives us is *invalidate on write, across processes*: here every namespace has a
revision token in the shared cache (Redis in production), the owning context replaces
it whenever its data changes, and entries are keyed by the revision they were built
from, so a change makes every older entry unreachable at once.

Invalidation happens twice: at once (so the writing transaction's own later reads, and
tests running inside one transaction, never see an older page) and again after the
commit (a reader that rebuilt the page between the two saw the old rows; its entry sits
under a revision nobody asks for any more). ``timeout`` bounds how long an entry can
outlive a write that bypassed the owning context (a database restored from backup).

Each process also keeps the entries it used last in memory (``LOCAL_ENTRIES``), under
the same revision-qualified key, and learns the current revision over Redis pub/sub
(see ``revision``): a hit then costs no round trip and no unpickling; a local entry is
unreachable the moment the revision moves, exactly like a shared one.

Only successful responses are cached, after the view has authenticated the request
and validated its query; an entry is the response's data and pagination meta with its
validators, and the ``request_id`` of every answer stays its own.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponseBase
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.conditional import answer_conditionally, content_etag
from bazaar_platform.tokens.listener import PubSubListener

Builder = Callable[[], tuple[Response, datetime | None]]

# Part of every key: an entry pickled by an older release (another ``_Entry`` shape) must
# be unreachable after an upgrade, not unpickled into a half-formed object.
ENTRY_FORMAT = 2

# Per process and namespace; a browsing page is ~10-30 kB, so this stays under ~8 MB.
LOCAL_ENTRIES = 256


@dataclass(frozen=True)
class _Entry:
    data: Any
    meta: Any
    etag: str
    last_modified: int | None
    expires_at: float  # wall clock: the local copies of other processes honour it too


class ResponseCache:
    """Responses of one bounded context, cached until that context's data changes.

    ``timeout_setting`` names the setting holding the entry lifetime in seconds;
    0 turns the cache off (every request is built).
    """

    _instances: ClassVar[list[ResponseCache]] = []

    def __init__(self, namespace: str, *, timeout_setting: str) -> None:
        self.namespace = namespace
        self.timeout_setting = timeout_setting
        self._revision_key = f"respcache:{namespace}:revision"
        self._setup_process_state()
        ResponseCache._instances.append(self)
        os.register_at_fork(after_in_child=self._setup_process_state)

    def _setup_process_state(self) -> None:
        """Memory of this process (a forked worker inherits the object, not the thread)."""
        self._local: OrderedDict[str, _Entry] = OrderedDict()
        self._local_lock = threading.Lock()  # gthread workers share the process
        self._known_revision: str | None = None  # trusted only while subscribed
        self._generation = 0  # moves whenever the known revision may have changed
        self._revision_lock = threading.Lock()
        self._publisher: redis.Redis | None = None
        self._listener = PubSubListener(
            name=f"bazaar-respcache-{self.namespace}",
            on_message=self._on_revision_announced,
            on_subscribed=lambda client: self._forget_revision(),
            on_disconnected=self._forget_revision,
        )

    @property
    def timeout(self) -> int:
        return int(getattr(settings, self.timeout_setting))

    # --- revisions ---------------------------------------------------------------
    # With Redis, each process learns new revisions over pub/sub and keeps the current
    # one in memory, so a cache hit needs no round trip at all. Another process's
    # write is seen once its announcement arrives (a millisecond on one host); this
    # process's own writes at once. While the subscription is down nothing is trusted
    # and every request reads the revision from the shared cache.

    @staticmethod
    def _redis_url() -> str:
        return str(getattr(settings, "REDIS_URL", "") or "")

    def _channel(self) -> str:
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
        return f"{prefix}:respcache:{self.namespace}"

    def revision(self) -> str:
        known = self._known_revision
        if known is not None and self._listener.listening:
            return known
        url = self._redis_url()
        if url:
            self._listener.ensure_started(url=url, channel=self._channel(), wait=0)
        generation = self._generation
        token = cache.get(self._revision_key)
        if token is None:
            cache.add(self._revision_key, uuid.uuid4().hex, timeout=None)
            token = cache.get(self._revision_key)
        if url and self._listener.listening:
            with self._revision_lock:
                if self._generation == generation:  # no announcement while we read
                    self._known_revision = str(token)
        return str(token)

    def _on_revision_announced(self, data: bytes | str) -> None:
        with self._revision_lock:
            self._generation += 1
            self._known_revision = data.decode() if isinstance(data, bytes) else str(data)

    def _forget_revision(self) -> None:
        with self._revision_lock:
            self._generation += 1
            self._known_revision = None

    def _replace_revision(self) -> None:
        token = uuid.uuid4().hex
        cache.set(self._revision_key, token, timeout=None)
        with self._revision_lock:
            self._generation += 1
            self._known_revision = token
        url = self._redis_url()
        if url:
            if self._publisher is None:
                self._publisher = redis.Redis.from_url(url, socket_timeout=5)
            self._publisher.publish(self._channel(), token)

    def invalidate(self) -> None:
        """Make every cached response of the namespace unreachable, now and on commit."""
        self._replace_revision()
        transaction.on_commit(self._replace_revision, robust=True)

    @classmethod
    def invalidate_all(cls) -> None:
        for instance in cls._instances:
            instance._replace_revision()

    # --- this process's copies --------------------------------------------------------

    def _local_get(self, key: str) -> _Entry | None:
        with self._local_lock:
            entry = self._local.get(key)
            if entry is None:
                return None
            if entry.expires_at <= time.time():  # a local copy never outlives its entry
                del self._local[key]
                return None
            self._local.move_to_end(key)
            return entry

    def _local_put(self, key: str, entry: _Entry) -> None:
        with self._local_lock:
            self._local[key] = entry
            self._local.move_to_end(key)
            while len(self._local) > LOCAL_ENTRIES:
                self._local.popitem(last=False)

    # --- responses ---------------------------------------------------------------

    def _entry_key(self, request: Request, revision: str) -> str:
        # next/previous links are absolute, so scheme and host are part of the answer
        query = sorted(request.query_params.lists())
        identity = repr((request.scheme, request.get_host(), request.path, query))
        digest = hashlib.sha256(identity.encode()).hexdigest()[:40]
        return f"respcache:{self.namespace}:v{ENTRY_FORMAT}:{revision}:{digest}"

    def respond(
        self,
        request: Request,
        build: Builder,
        *,
        on_hit: Callable[[Any], None] | None = None,
    ) -> HttpResponseBase:
        """The cached answer to ``request``, or ``build()``'s (cached when it is a 200).

        ``build`` returns the fresh response and its ``Last-Modified`` time; either way
        the answer carries ``ETag``/``Last-Modified`` and honours conditional headers.
        ``on_hit(data)`` runs when the answer comes from the cache (what a build would
        have done as a side effect, such as counting the request).
        """
        if self.timeout <= 0:
            response, last_modified = build()
            return answer_conditionally(request, response, last_modified=last_modified)
        key = self._entry_key(request, self.revision())
        entry = self._local_get(key)
        if entry is None:
            entry = cache.get(key)
            if isinstance(entry, _Entry):
                self._local_put(key, entry)
        if isinstance(entry, _Entry):
            if on_hit is not None:
                on_hit(entry.data)
            response = Response(entry.data)
            if entry.meta is not None:
                response.envelope_meta = entry.meta  # type: ignore[attr-defined]
            return answer_conditionally(
                request, response, etag=entry.etag, timestamp=entry.last_modified
            )
        response, last_modified = build()
        if response.status_code != 200:
            return response
        meta = getattr(response, "envelope_meta", None)
        etag = content_etag(response.data, meta)
        timestamp = int(last_modified.timestamp()) if last_modified is not None else None
        entry = _Entry(response.data, meta, etag, timestamp, time.time() + self.timeout)
        cache.set(key, entry, timeout=self.timeout)
        self._local_put(key, entry)
        return answer_conditionally(request, response, etag=etag, timestamp=timestamp)
