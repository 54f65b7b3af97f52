"""Concurrent writers on real PostgreSQL (committed transactions, the real relay)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.events.relay import relay_pending
from contexts.reviews import services
from contexts.reviews.models import RatingAggregate, Review, ReviewStatus
from tests.support.sellers import make_product, make_user

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL"),
]

WRITERS = 6


def _in_threads(target, args_list) -> dict[int, object]:
    outcome: dict[int, object] = {}
    start = threading.Barrier(len(args_list))

    def run(index: int, args: tuple) -> None:
        try:
            start.wait(10)
            outcome[index] = target(*args)
        except ApplicationError as exc:
            outcome[index] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args_list)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcome


def test_concurrent_reviews_of_one_subject_all_count_once():
    product_id = make_product()
    authors = [make_user()[0] for _ in range(WRITERS)]

    def write(author, rating):
        return services.review_create(
            author_user_id=author, subject_type="product", subject_id=product_id,
            rating=rating, title="Same time", body=f"Written at the same time, rating {rating}.",
        ).status  # fmt: skip

    outcome = _in_threads(write, [(a, 1 + i % 5) for i, a in enumerate(authors)])
    assert set(outcome.values()) == {ReviewStatus.PUBLISHED}
    relay_pending()  # what the inline relay left to the sweeper when it met a held lock
    aggregate = RatingAggregate.objects.get(subject_id=product_id)
    ratings = [1 + i % 5 for i in range(WRITERS)]
    assert (aggregate.count, aggregate.rating_sum) == (WRITERS, sum(ratings))


def test_the_same_customer_twice_at_once_gets_one_review():
    product_id = make_product()
    author = make_user()[0]

    def write(body):
        return services.review_create(
            author_user_id=author, subject_type="product", subject_id=product_id,
            rating=4, title="Twice", body=body,
        ).status  # fmt: skip

    outcome = _in_threads(write, [("First of two at once.",), ("Second of two at once.",)])
    assert sorted(map(str, outcome.values())) == ["already_reviewed", "published"]
    assert Review.objects.filter(author_user_id=author).count() == 1
