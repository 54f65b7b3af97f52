"""The response envelope every endpoint of every context answers with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import JSONRenderer

from bazaar_platform.observability.context import current_request_id


def envelope(data: Any, *, error: Any = None, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "data": data,
        "error": error,
        "meta": {"request_id": current_request_id(), **(meta or {})},
    }


class EnvelopeJSONRenderer(JSONRenderer):
    """Wrap whatever a view returns as ``{"data", "error", "meta"}``.

    Errors arrive from the exception handler as ``{"error": {...}}``; paginators put
    their figures on ``response.envelope_meta``.
    """

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code == 204:
            return b""
        meta = getattr(response, "envelope_meta", None) if response is not None else None
        if response is not None and response.status_code >= 400:
            if isinstance(data, dict) and set(data) == {"error"}:
                body = envelope(None, error=data["error"], meta=meta)
            else:  # a third-party view built its own error body: keep it as the detail
                body = envelope(
                    None,
                    error={
                        "code": "error",
                        "message": "The request failed.",
                        "fields": data if isinstance(data, dict) else {"detail": data},
                        "request_id": current_request_id(),
                    },
                    meta=meta,
                )
        else:
            body = envelope(data, meta=meta)
        return super().render(body, accepted_media_type, renderer_context)
