"""Reactions of the search context to other contexts' events: the only way its read
model learns anything. Each handler turns one event into one call of this context's
services; they are idempotent, and the inbox applies each event once per handler.

``DOCUMENT_HANDLERS`` feed the search documents (what ``manage.py reindex`` replays).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bazaar_platform.events import IntegrationEvent
from contexts.catalog.events import ProductPublished, ProductUnpublished, ProductUpdated
from contexts.search import services


def on_product_published_index(event: ProductPublished) -> None:
    services.document_apply_snapshot(snapshot=event)


def on_product_updated_index(event: ProductUpdated) -> None:
    services.document_apply_snapshot(snapshot=event)


def on_product_unpublished_hide(event: ProductUnpublished) -> None:
    services.document_unpublish(product_id=event.product_id)


DOCUMENT_HANDLERS: dict[type[IntegrationEvent], list[Callable[[Any], None]]] = {
    ProductPublished: [on_product_published_index],
    ProductUpdated: [on_product_updated_index],
    ProductUnpublished: [on_product_unpublished_hide],
}

HANDLERS: dict[type[IntegrationEvent], list[Callable[[Any], None]]] = {**DOCUMENT_HANDLERS}
