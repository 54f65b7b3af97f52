"""Reads of the reviews context."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Value
from django.db.models.fields import BooleanField

from contexts.reviews.models import (
    HelpfulVote,
    RatingAggregate,
    Review,
    ReviewPhoto,
    ReviewReport,
    ReviewStatus,
)

SORTS: dict[str, tuple[str, ...]] = {
    "newest": ("-created_at", "-id"),
    "most_helpful": ("-helpful_count", "-created_at", "-id"),
    "highest": ("-rating", "-created_at", "-id"),
    "lowest": ("rating", "-created_at", "-id"),
}


def _with_related(qs: QuerySet[Review], *, viewer_user_id: UUID | None) -> QuerySet[Review]:
    """Reply by join, photos by one prefetch, the viewer's vote by a subquery: a page of
    reviews costs the same number of queries whatever its size."""
    voted = (
        Exists(HelpfulVote.objects.filter(review=OuterRef("pk"), voter_user_id=viewer_user_id))
        if viewer_user_id is not None
        else Value(False, output_field=BooleanField())
    )
    return (
        qs.select_related("reply")
        .prefetch_related(Prefetch("photos", queryset=ReviewPhoto.objects.order_by("position")))
        .annotate(viewer_found_helpful=voted)
    )


def review_list_for_subject(
    *,
    subject_type: str,
    subject_id: UUID,
    sort: str = "newest",
    rating: int | None = None,
    verified: bool | None = None,
    viewer_user_id: UUID | None = None,
) -> QuerySet[Review]:
    qs = Review.objects.filter(
        subject_type=subject_type, subject_id=subject_id, status=ReviewStatus.PUBLISHED
    )
    if rating is not None:
        qs = qs.filter(rating=rating)
    if verified is not None:
        qs = qs.filter(verified_purchase=verified)
    return _with_related(qs, viewer_user_id=viewer_user_id).order_by(*SORTS[sort])


def review_list_for_author(*, author_user_id: UUID) -> QuerySet[Review]:
    """Every review of the author but the deleted ones, whatever their moderation state."""
    qs = Review.objects.filter(author_user_id=author_user_id).exclude(status=ReviewStatus.DELETED)
    return _with_related(qs, viewer_user_id=author_user_id).order_by("-created_at", "-id")


def review_get_visible(*, review_id: UUID, viewer_user_id: UUID | None) -> Review | None:
    """A published review, or any non-deleted review of the viewer's own."""
    qs = Review.objects.filter(pk=review_id).exclude(status=ReviewStatus.DELETED)
    review = _with_related(qs, viewer_user_id=viewer_user_id).first()
    if review is None:
        return None
    if review.status != ReviewStatus.PUBLISHED and review.author_user_id != viewer_user_id:
        return None
    return review


def report_queue() -> QuerySet[Review]:
    """Reviews with open reports, most reported first: the staff's queue."""
    return Review.objects.filter(open_report_count__gt=0).order_by(
        "-open_report_count", "created_at"
    )


def open_reports(*, review_id: UUID) -> QuerySet[ReviewReport]:
    return ReviewReport.objects.filter(review_id=review_id, status=ReviewReport.Status.OPEN)


def rating_aggregates_get(
    *, subject_type: str, subject_ids: Iterable[UUID]
) -> dict[UUID, RatingAggregate]:
    rows = RatingAggregate.objects.filter(
        subject_type=subject_type, subject_id__in=list(subject_ids)
    )
    return {row.subject_id: row for row in rows}


def subjects_all() -> list[tuple[str, UUID]]:
    """Every subject with a review or an aggregate row (sorted), for recomputation: a
    subject whose reviews are all gone still has its aggregate brought back to zero."""
    pairs = set(Review.objects.values_list("subject_type", "subject_id").distinct())
    pairs |= set(RatingAggregate.objects.values_list("subject_type", "subject_id"))
    return sorted(pairs, key=lambda pair: (pair[0], str(pair[1])))
