"""The catalogue's browsing-response cache and what invalidates it.

Every row a browsing response shows lives in this context's tables, so any save or
delete of one of its models replaces the revision (signals, connected in ``apps.py``);
the few bulk writes that bypass signals (``QuerySet.update``, the seeders'
``bulk_create``) call :func:`invalidate_browsing` themselves.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models.signals import post_delete, post_save

from bazaar_platform.api.response_cache import ResponseCache

browse_cache = ResponseCache("catalog", timeout_setting="CATALOG_RESPONSE_CACHE_SECONDS")


def invalidate_browsing() -> None:
    browse_cache.invalidate()


def _on_change(sender: Any, **kwargs: Any) -> None:
    browse_cache.invalidate()


def connect_invalidation() -> None:
    for model in apps.get_app_config("catalog").get_models():
        uid = f"catalog-browse-cache:{model._meta.label}"
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}:delete")
