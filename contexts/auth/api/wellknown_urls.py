"""Routes at the site root; config/urls.py includes this module once."""

from __future__ import annotations

from django.urls import URLPattern, path

from contexts.auth.api.wellknown import jwks_view

urlpatterns: list[URLPattern] = [
    path(".well-known/jwks.json", jwks_view, name="jwks"),
]
