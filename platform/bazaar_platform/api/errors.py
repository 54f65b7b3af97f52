"""One application error type and one DRF exception handler.

Every error leaves the API as ``{"data": null, "error": {code, message, fields,
request_id}, "meta": {...}}`` with the right 4xx. Services raise
:class:`ApplicationError` (or a subclass); views never build error bodies.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from bazaar_platform.observability.context import current_request_id


class ApplicationError(Exception):
    """A business rule said no. Rendered as a 4xx with a machine-readable code."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "application_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.fields = fields or {}
        self.extra = extra or {}


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class ConflictError(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this API accepts."
    default_code = "payload_too_large"


_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: "malformed_request",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "validation_error",
}


def error_body(
    *,
    code: str,
    message: str,
    fields: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``error`` member of the envelope; the renderer adds ``data`` and ``meta``."""
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "fields": fields or {},
        "request_id": current_request_id(),
    }
    if extra:
        error.update(extra)
    return {"error": error}


def _flatten_detail(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {str(k): v for k, v in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def _first_message(fields: dict[str, Any]) -> str:
    for name, messages in fields.items():
        first = messages[0] if isinstance(messages, list) and messages else messages
        if isinstance(first, dict):
            return _first_message(first)
        prefix = "" if name == "non_field_errors" else f"{name}: "
        return f"{prefix}{first}"
    return "The request is invalid."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF ``EXCEPTION_HANDLER``: map every known error to the one error format."""
    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        body = error_body(code=exc.code, message=exc.message, fields=exc.fields, extra=exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))

    if not isinstance(exc, exceptions.APIException):
        return None  # a genuine bug: Django's handler500 renders it, and it is logged

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten_detail(exc.detail)
        body = error_body(code="validation_error", message=_first_message(fields), fields=fields)
    else:
        code = _DRF_CODES.get(type(exc)) or (
            exc.default_code if isinstance(exc.default_code, str) else "error"
        )
        detail = exc.detail
        message = str(detail if not isinstance(detail, (list, dict)) else exc.default_detail)
        body = error_body(code=code, message=message)
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    return Response(body, status=exc.status_code, headers=headers)
