"""Conditional GET for browsing responses: ``ETag`` and ``Last-Modified``, answering
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


def _etag(response: Response) -> str:
    payload = json.dumps(
        [response.data, getattr(response, "envelope_meta", None)],
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return 'W/"' + hashlib.sha256(payload.encode()).hexdigest()[:40] + '"'


def conditional(
    request: Request, response: Response, *, last_modified: datetime | None
) -> HttpResponseBase:
    """Stamp ``response`` with validators and answer the request's preconditions."""
    if not 200 <= response.status_code < 300:
        return response
    etag = _etag(response)
    timestamp = int(last_modified.timestamp()) if last_modified is not None else None
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
