"""What other contexts may ask of the reviews context."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from contexts.reviews import selectors


@dataclass(frozen=True)
class RatingSummary:
    subject_type: str
    subject_id: UUID
    average: float
    count: int
    distribution: dict[str, int] = field(hash=False)


def _empty(subject_type: str, subject_id: UUID) -> RatingSummary:
    return RatingSummary(
        subject_type=subject_type,
        subject_id=subject_id,
        average=0.0,
        count=0,
        distribution={str(n): 0 for n in range(1, 6)},
    )


def rating_summaries(
    *, subject_type: str, subject_ids: Iterable[UUID]
) -> dict[UUID, RatingSummary]:
    """Published-rating summaries of subjects of one type ("product", "store", "vendor").

    Every asked id is present; a subject without published reviews has count 0.
    """
    ids = list(subject_ids)
    rows = selectors.rating_aggregates_get(subject_type=subject_type, subject_ids=ids)
    result = {subject_id: _empty(subject_type, subject_id) for subject_id in ids}
    for subject_id, row in rows.items():
        result[subject_id] = RatingSummary(
            subject_type=subject_type,
            subject_id=subject_id,
            average=row.average,
            count=row.count,
            distribution=row.distribution(),
        )
    return result
