"""Refuse oversized request bodies before anything reads them."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from bazaar_platform.api.responses import error_response


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limit: int = settings.API_MAX_BODY_BYTES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return error_response(400, "malformed_request", "Content-Length is not a number.")
        if length < 0:
            return error_response(400, "malformed_request", "Content-Length is negative.")
        if length > self.limit:
            return error_response(
                413,
                "payload_too_large",
                f"The request body is {length} bytes; the limit is {self.limit}.",
            )
        return self.get_response(request)
