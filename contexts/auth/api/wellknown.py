"""``/.well-known/jwks.json``: the public keys access tokens are verified with (RFC 7517).

A bare JWKS document (not the API envelope): JOSE libraries read it as is.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from contexts.auth.facade import jwks_document


@require_GET
def jwks_view(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(jwks_document())
    # Verifiers refetch on an unknown kid, so a short public cache is safe.
    response["Cache-Control"] = "public, max-age=300"
    return response
