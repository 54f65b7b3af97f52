"""Envelope responses for code that runs outside DRF (middleware, Django handlers)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from bazaar_platform.api.errors import error_body
from bazaar_platform.api.renderers import envelope


def error_response(
    status: int, code: str, message: str, *, fields: dict[str, Any] | None = None
) -> JsonResponse:
    body = error_body(code=code, message=message, fields=fields)
    return JsonResponse(envelope(None, error=body["error"]), status=status)


def data_response(data: Any, *, status: int = 200) -> JsonResponse:
    return JsonResponse(envelope(data), status=status)


# Django's own error handlers (config/urls.py points handler400/403/404/500 here), so
# unknown routes and crashes outside DRF answer in the same format.
def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(400, "bad_request", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(403, "permission_denied", "You do not have permission to do this.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(404, "not_found", f"No route matches {request.path[:200]!r}.")


def server_error(request: HttpRequest) -> JsonResponse:
    return error_response(500, "server_error", "Something went wrong on our side.")
