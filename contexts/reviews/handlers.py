"""Reactions of the reviews context to its own review events: the rating aggregates.

Each handler runs once per event (the platform inbox records it in the handler's
transaction), so the increments are applied exactly once even when an event is
redelivered. Increments commute, so the aggregate does not depend on delivery order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bazaar_platform.events import IntegrationEvent
from contexts.reviews.events import ReviewPublished, ReviewRemoved, ReviewUpdated
from contexts.reviews.services import rating_aggregate_apply


def on_review_published_count_rating(event: ReviewPublished) -> None:
    rating_aggregate_apply(
        subject_type=event.subject_type, subject_id=event.subject_id, add=event.rating
    )


def on_review_updated_move_rating(event: ReviewUpdated) -> None:
    if event.previous_rating == event.rating:
        return  # only the text changed: the aggregate and its summary stay as they are
    rating_aggregate_apply(
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        add=event.rating,
        remove=event.previous_rating,
    )


def on_review_removed_uncount_rating(event: ReviewRemoved) -> None:
    rating_aggregate_apply(
        subject_type=event.subject_type, subject_id=event.subject_id, remove=event.rating
    )


HANDLERS: dict[type[IntegrationEvent], list[Callable[[Any], None]]] = {
    ReviewPublished: [on_review_published_count_rating],
    ReviewUpdated: [on_review_updated_move_rating],
    ReviewRemoved: [on_review_removed_uncount_rating],
}
