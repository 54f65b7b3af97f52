"""Limit/offset and cursor pagination with enforced maxima.

DRF's paginators silently clamp a page size that is too large; ours refuse it with
a 400, so a client never believes it received everything when it did not.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response


def _positive_int(raw: str, *, name: str, minimum: int, maximum: int | None) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [f"Must be an integer, got {raw[:20]!r}."]}) from None
    if value < minimum:
        raise ValidationError({name: [f"Must be at least {minimum}."]})
    if maximum is not None and value > maximum:
        raise ValidationError({name: [f"Must be at most {maximum}."]})
    return value


def _paginated_schema(schema: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["data", "error", "meta"],
        "properties": {
            "data": schema,
            "error": {"type": "null"},
            "meta": {
                "type": "object",
                "properties": {
                    "request_id": {"type": "string"},
                    "pagination": {"type": "object", "properties": extra},
                },
            },
        },
    }


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = settings.API_DEFAULT_PAGE_SIZE
    max_limit = settings.API_MAX_PAGE_SIZE
    max_offset = 1_000_000

    def get_limit(self, request: Request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return int(self.default_limit)
        return _positive_int(raw, name=self.limit_query_param, minimum=1, maximum=self.max_limit)

    def get_offset(self, request: Request) -> int:
        raw = request.query_params.get(self.offset_query_param)
        if raw is None:
            return 0
        return _positive_int(raw, name=self.offset_query_param, minimum=0, maximum=self.max_offset)

    def get_paginated_response(self, data: Any) -> Response:
        response = Response(data)
        response.envelope_meta = {  # type: ignore[attr-defined]
            "pagination": {
                "count": self.count,
                "limit": self.limit,
                "offset": self.offset,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
            }
        }
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return _paginated_schema(
            schema,
            {
                "count": {"type": "integer"},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
            },
        )


class CursorPagination(pagination.CursorPagination):
    """Stable pagination over large or fast-moving lists (feeds, logs, inboxes)."""

    page_size = settings.API_DEFAULT_PAGE_SIZE
    page_size_query_param = "limit"
    max_page_size = settings.API_MAX_PAGE_SIZE
    ordering = "-created_at"

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param or "limit")
        if raw is None:
            return int(self.page_size)
        return _positive_int(raw, name="limit", minimum=1, maximum=self.max_page_size)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        try:
            return super().decode_cursor(request)
        except NotFound as exc:  # DRF answers a bad cursor with 404; it is bad input
            raise ValidationError({self.cursor_query_param: [str(exc.detail)]}) from None

    def get_paginated_response(self, data: Any) -> Response:
        response = Response(data)
        response.envelope_meta = {  # type: ignore[attr-defined]
            "pagination": {
                "limit": self.page_size,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
            }
        }
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return _paginated_schema(
            schema,
            {
                "limit": {"type": "integer"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
            },
        )
