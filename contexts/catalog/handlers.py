"""Reactions of the catalogue to other contexts' events.

The product rating shown and sorted on in the catalogue is a copy of the reviews
context's aggregate, kept from ``reviews.rating_summary_changed`` (the whole summary in
each event, so a redelivery or a late event cannot skew it; see ``product_rating_set``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bazaar_platform.events import IntegrationEvent
from contexts.catalog.services import product_rating_set
from contexts.reviews.events import RatingSummaryChanged


def on_rating_summary_changed_store_product_rating(event: RatingSummaryChanged) -> None:
    if event.subject_type != "product":
        return  # store and vendor ratings are not the catalogue's
    product_rating_set(
        product_id=event.subject_id,
        average=event.average,
        count=event.count,
        as_of=event.occurred_at,
    )


HANDLERS: dict[type[IntegrationEvent], list[Callable[[Any], None]]] = {
    RatingSummaryChanged: [on_rating_summary_changed_store_product_rating],
}
