"""Conditional GET for read responses: ``ETag`` and ``Last-Modified``, answering
``If-None-Match`` / ``If-Modified-Since`` with a bodiless 304.

The ETag is a hash of what the response says (its ``data`` and pagination ``meta``),
not of the rendered bytes, which carry a per-request ``request_id``: so it is weak
(``W/"..."``), as RFC 9110 asks for semantically equal representations.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from django.http import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.responses import error_response

CACHE_CONTROL = "max-age=0, must-revalidate"


def content_etag(data: Any, meta: Any) -> str:
    payload = json.dumps([data, meta], sort_keys=True, default=str, separators=(",", ":"))
    return 'W/"' + hashlib.sha256(payload.encode()).hexdigest()[:40] + '"'


def answer_conditionally(
    request: Request,
    response: Response,
    *,
    last_modified: datetime | None = None,
    etag: str | None = None,
    timestamp: int | None = None,
) -> HttpResponseBase:
    """Stamp ``response`` with validators and answer the request's preconditions.

    Pass ``last_modified`` (a datetime), or ``etag`` and ``timestamp`` already computed
    (a cached response); the ETag is computed from the response when not given.
    """
    if not 200 <= response.status_code < 300:
        return response
    if etag is None:
        etag = content_etag(response.data, getattr(response, "envelope_meta", None))
    if timestamp is None and last_modified is not None:
        timestamp = int(last_modified.timestamp())
    response["ETag"] = etag
    if timestamp is not None:
        response["Last-Modified"] = http_date(timestamp)
    response["Cache-Control"] = CACHE_CONTROL
    result: Any = get_conditional_response(
        request._request, etag=etag, last_modified=timestamp, response=response
    )
    if result.status_code == 412:
        return error_response(412, "precondition_failed", "A precondition header did not match.")
    return result
