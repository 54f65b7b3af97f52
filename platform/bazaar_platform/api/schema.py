"""OpenAPI: every documented response is shown inside the Bazaar envelope, and every
operation documents the error envelope, so generated clients see what they get."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["data", "error", "meta"],
    "properties": {
        "data": {"type": "object", "nullable": True, "description": "Always null on errors."},
        "error": {
            "type": "object",
            "required": ["code", "message", "fields", "request_id"],
            "properties": {
                "code": {"type": "string", "example": "validation_error"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Field name to its list of messages.",
                },
                "request_id": {"type": "string", "nullable": True},
            },
        },
        "meta": {"type": "object", "properties": {"request_id": {"type": "string"}}},
    },
}

_ERRORS = {
    "400": "Invalid input (validation_error, malformed_request, unknown query parameter).",
    "401": "Missing or invalid credentials.",
    "403": "Authenticated but not allowed.",
    "404": "No such resource.",
    "429": "Too many requests; see Retry-After.",
}


def wrap_in_envelope(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["data", "error", "meta"],
        "properties": {
            "data": schema,
            "error": {"type": "object", "nullable": True, "description": "Null on success."},
            "meta": {"type": "object", "properties": {"request_id": {"type": "string"}}},
        },
    }


class EnvelopeAutoSchema(AutoSchema):
    def _get_response_for_code(
        self,
        serializer: Any,
        status_code: str,
        media_types: Any = None,
        direction: str = "response",
    ) -> dict[str, Any]:
        response: dict[str, Any] = super()._get_response_for_code(
            serializer, status_code, media_types, direction
        )
        paginated = self._is_list_view(serializer) and self._get_paginator() is not None
        if "200" <= status_code < "300" and status_code != "204" and not paginated:
            for media in response.get("content", {}).values():
                if "schema" in media:
                    media["schema"] = wrap_in_envelope(media["schema"])
        return response

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        component = ResolvedComponent(
            name="ErrorEnvelope",
            type=ResolvedComponent.SCHEMA,
            schema=ERROR_SCHEMA,
            object="ErrorEnvelope",
        )
        self.registry.register_on_missing(component)
        for code, description in _ERRORS.items():
            responses.setdefault(
                code,
                {
                    "description": description,
                    "content": {"application/json": {"schema": component.ref}},
                },
            )
        return responses
