"""Reads of the reviews context."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from contexts.reviews.models import RatingAggregate


def rating_aggregates_get(
    *, subject_type: str, subject_ids: Iterable[UUID]
) -> dict[UUID, RatingAggregate]:
    rows = RatingAggregate.objects.filter(
        subject_type=subject_type, subject_id__in=list(subject_ids)
    )
    return {row.subject_id: row for row in rows}
