"""The project's URLs plus ``/bench/trivial``: a DRF view on the platform's base view
(same middleware, renderer and envelope) returning 20 constant items, no database."""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.views import BazaarAPIView
from config.urls import urlpatterns as project_urlpatterns

ITEMS = [{"id": i, "name": f"item {i}", "price_minor": 1000 + i} for i in range(20)]


class TrivialApi(BazaarAPIView):
    permission_classes = [AllowAny]

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(ITEMS)


urlpatterns = [path("bench/trivial", TrivialApi.as_view()), *project_urlpatterns]
