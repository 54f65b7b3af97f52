"""Accept and echo ``X-Request-ID``; bind request id and user id into every log line."""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse

from bazaar_platform.observability.context import accept_request_id, set_request_id

REQUEST_ID_HEADER = "X-Request-ID"
access_log = structlog.get_logger("bazaar.access")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accept_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        set_request_id(request_id)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                bind_user(str(user.pk))
            access_log.info(
                "http_request",
                method=request.method,
                path=request.path,
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
        finally:
            set_request_id(None)
            structlog.contextvars.clear_contextvars()
        response[REQUEST_ID_HEADER] = request_id
        return response


def bind_user(user_id: str | None) -> None:
    """Authentication code calls this once it knows who is asking."""
    if user_id:
        structlog.contextvars.bind_contextvars(user_id=user_id)
