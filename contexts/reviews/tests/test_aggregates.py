"""The incremental rating aggregates agree with a recomputation from the reviews after
any sequence of create / edit / delete / moderation (property-based, hypothesis)."""

from __future__ import annotations

from contextlib import suppress
from io import StringIO
from uuid import UUID

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bazaar_platform.api.errors import ApplicationError
from contexts.reviews import services
from contexts.reviews.models import RatingAggregate, Review, ReviewStatus
from tests.support.sellers import make_product, make_user

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

AUTHORS, SUBJECTS = 4, 2
# Clean bodies publish; the others are held by the automatic check (link, banned word).
BODIES = [
    "Works as described, good value.",
    "Arrived late but works fine.",
    "Cheaper on www.example.test",
    "A scam, do not buy this.",
]

operation = st.one_of(
    st.tuples(st.just("create"), st.integers(0, AUTHORS - 1), st.integers(0, SUBJECTS - 1),
              st.integers(1, 5), st.sampled_from(BODIES)),
    st.tuples(st.just("edit"), st.integers(0, 30), st.integers(1, 5), st.sampled_from(BODIES)),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("approve"), st.integers(0, 30)),
    st.tuples(st.just("remove"), st.integers(0, 30)),
    st.tuples(st.just("reject"), st.integers(0, 30)),
)  # fmt: skip


def _recomputed(subject_id: UUID) -> tuple[int, int, dict[str, int]]:
    ratings = list(
        Review.objects.filter(subject_id=subject_id, status=ReviewStatus.PUBLISHED).values_list(
            "rating", flat=True
        )
    )
    distribution = {str(n): ratings.count(n) for n in range(1, 6)}
    return len(ratings), sum(ratings), distribution


def _apply(op: tuple, authors: list, subjects: list) -> None:
    kind = op[0]
    reviews = list(Review.objects.order_by("created_at", "id"))
    if kind == "create":
        _, author, subject, rating, body = op
        services.review_create(
            author_user_id=authors[author], subject_type="product",
            subject_id=subjects[subject], rating=rating, title="T", body=body,
        )  # fmt: skip
        return
    if not reviews:
        return
    review = reviews[op[1] % len(reviews)]
    if kind == "edit":
        services.review_update(
            review_id=review.pk, author_user_id=review.author_user_id, rating=op[2], body=op[3]
        )
    elif kind == "delete":
        services.review_delete(review_id=review.pk, author_user_id=review.author_user_id)
    elif kind == "approve":
        services.review_approve(review_id=review.pk)
    elif kind == "remove":
        services.review_remove(review_id=review.pk)
    else:
        services.review_reject(review_id=review.pk, reason="Not acceptable.")


def test_aggregate_equals_recomputation_after_any_sequence(django_capture_on_commit_callbacks):
    authors = [make_user()[0] for _ in range(AUTHORS)]
    subjects = [make_product() for _ in range(SUBJECTS)]

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )
    @given(st.lists(operation, min_size=1, max_size=12))
    def check(ops: list[tuple]) -> None:
        sid = transaction.savepoint()
        try:
            for op in ops:
                # Each operation commits as in production, so the inline relay runs the
                # aggregate handlers between operations.
                # Refused operations (already reviewed, wrong state) must change nothing.
                with (
                    django_capture_on_commit_callbacks(execute=True),
                    suppress(ApplicationError),
                ):
                    _apply(op, authors, subjects)
            for subject_id in subjects:
                row = RatingAggregate.objects.filter(subject_id=subject_id).first()
                stored = (row.count, row.rating_sum, row.distribution()) if row else (0, 0, {
                    str(n): 0 for n in range(1, 6)})  # fmt: skip
                assert stored == _recomputed(subject_id), ops
                assert all(v >= 0 for v in stored[2].values())
        finally:
            transaction.savepoint_rollback(sid)

    check()


def test_recompute_command_repairs_and_reports_progress(product_id, customer, write_review):
    write_review(author=customer, subject_id=product_id, rating=4)
    RatingAggregate.objects.filter(subject_id=product_id).update(count=7, rating_sum=1, count_4=0)
    out = StringIO()
    call_command("recompute_review_aggregates", stdout=out, stderr=out)
    row = RatingAggregate.objects.get(subject_id=product_id)
    assert (row.count, row.rating_sum, row.count_4) == (1, 4, 1)
    assert "1 subject(s), 1 corrected" in out.getvalue()
    out = StringIO()
    call_command("recompute_review_aggregates", "--quiet", stdout=out, stderr=out)
    assert "1 subject(s), 0 corrected" in out.getvalue()
