"""URL map: every installed context's API under ``/api/v1/<context>/``."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from bazaar_platform.health.views import healthz, readyz
from bazaar_platform.observability.metrics import metrics_view


def _context_api_urls() -> list[URLResolver]:
    """Mount ``contexts/<name>/api/urls.py`` of each installed context at ``/api/v1/<name>/``."""
    mounted: list[URLResolver] = []
    for app_config in apps.get_app_configs():
        if not app_config.name.startswith("contexts."):
            continue
        context = app_config.name.split(".", 1)[1]
        module = f"{app_config.name}.api.urls"
        if find_spec(module) is not None:
            mounted.append(
                path(f"api/v1/{context}/", include((import_module(module).urlpatterns, context)))
            )
    return mounted


urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("vendor-admin/", import_module("bazaar_platform.vendor_admin").vendor_admin_site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    *_context_api_urls(),
    path("notifications/", include("contexts.notifications.api.page_urls")),
    path("", include("contexts.auth.api.wellknown_urls")),
]

# Uploaded media (product images, logos) in development; production serves them from
# object storage or the reverse proxy. `static()` returns nothing when DEBUG is off.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "bazaar_platform.api.responses.bad_request"
handler403 = "bazaar_platform.api.responses.permission_denied"
handler404 = "bazaar_platform.api.responses.not_found"
handler500 = "bazaar_platform.api.responses.server_error"
