"""``/notifications/``: a small server-rendered inbox page.

The page carries no user data itself: its script signs in through the auth API
(``POST /api/v1/auth/login``, throttled like every login), keeps the token pair in
``sessionStorage``, lists the inbox through the REST API, opens
``/ws/notifications/`` with the access token in the ``bearer`` subprotocol and
prepends what arrives. It renews the access token with the refresh token before it
expires and hands the new one to the open socket (``authenticate``).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def inbox_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "notifications/inbox.html",
        {"access_ttl": int(settings.AUTH_ACCESS_TOKEN_TTL_SECONDS)},
    )
