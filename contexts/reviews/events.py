"""The reviews context's published language.

Review events are ordered by subject (``aggregate = "subject_id"``): the rating
aggregates of a subject are maintained from them, and a subject's history must be
seen in order. A review counts in its subject's aggregate exactly while it is
*published*: ``review_published`` when it becomes visible (automatic moderation or
staff approval), ``review_updated`` when a published review's rating or text changes
and it stays visible, ``review_removed`` when a counted review stops being visible
(author deletes it, staff remove it, an edit sends it back to moderation).

Consumers: the reviews context itself (aggregates), catalog (product rating and sort),
search (rating facet), notifications (vendor told of a new review, author told of a
reply or a rejection).
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from bazaar_platform.events import IntegrationEvent


class ReviewPublished(IntegrationEvent):
    """A review became visible and now counts in its subject's rating."""

    event_type: ClassVar[str] = "reviews.review_published"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "subject_id"

    review_id: UUID
    subject_type: str  # "product" | "store" | "vendor"
    subject_id: UUID
    rating: int
    author_user_id: UUID
    verified_purchase: bool
    owner_vendor_id: UUID | None  # the vendor owning the subject; None for staff-made products


class ReviewUpdated(IntegrationEvent):
    """A published review was edited and stays visible; ``previous_rating`` was counted."""

    event_type: ClassVar[str] = "reviews.review_updated"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "subject_id"

    review_id: UUID
    subject_type: str
    subject_id: UUID
    rating: int
    previous_rating: int
    author_user_id: UUID
    verified_purchase: bool
    owner_vendor_id: UUID | None


class ReviewRemoved(IntegrationEvent):
    """A counted review stopped being visible; ``rating`` is the one that was counted."""

    event_type: ClassVar[str] = "reviews.review_removed"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "subject_id"

    review_id: UUID
    subject_type: str
    subject_id: UUID
    rating: int
    author_user_id: UUID
    verified_purchase: bool
    owner_vendor_id: UUID | None


class RatingSummaryChanged(IntegrationEvent):
    """A subject's rating aggregate changed: the whole new state, so consumers just store it."""

    event_type: ClassVar[str] = "reviews.rating_summary_changed"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "subject_id"

    subject_type: str
    subject_id: UUID
    average: float  # 0.0 when count is 0
    count: int
    distribution: dict[str, int]  # {"1": n, ..., "5": n}


class ReviewReplied(IntegrationEvent):
    """The vendor owning the subject replied publicly to a review."""

    event_type: ClassVar[str] = "reviews.review_replied"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "review_id"

    review_id: UUID
    author_user_id: UUID
    vendor_id: UUID


class ReviewRejected(IntegrationEvent):
    """Staff rejected a pending review; the reason is shown to its author."""

    event_type: ClassVar[str] = "reviews.review_rejected"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "review_id"

    review_id: UUID
    author_user_id: UUID
    reason: str


ALL_EVENTS: tuple[type[IntegrationEvent], ...] = (
    ReviewPublished,
    ReviewUpdated,
    ReviewRemoved,
    RatingSummaryChanged,
    ReviewReplied,
    ReviewRejected,
)
