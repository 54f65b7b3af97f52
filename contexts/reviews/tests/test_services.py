"""Review services on the real database, with the catalog, vendors and orders contexts
behind their facades."""

from __future__ import annotations

import uuid

import pytest

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.events.models import OutboxMessage
from contexts.reviews import facade, services
from contexts.reviews.models import RatingAggregate, Review, ReviewReport, ReviewStatus
from tests.support.sellers import make_product, make_seller, make_user

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _events(event_type: str) -> list[dict]:
    return [
        m.message["payload"]
        for m in OutboxMessage.objects.filter(event_type=event_type).order_by("occurred_at")
    ]


def test_clean_review_is_published_and_counted(product_id, seller, customer, write_review):
    review = write_review(author=customer, subject_id=product_id, rating=5)
    assert review.status == ReviewStatus.PUBLISHED
    assert review.owner_vendor_id == seller.vendor_id
    (published,) = _events("reviews.review_published")
    assert published["rating"] == 5
    assert published["owner_vendor_id"] == str(seller.vendor_id)
    assert published["verified_purchase"] is False
    summary = facade.rating_summaries(subject_type="product", subject_ids=[product_id])[product_id]
    assert (summary.count, summary.average, summary.distribution["5"]) == (1, 5.0, 1)
    (changed,) = _events("reviews.rating_summary_changed")
    assert changed == {
        "subject_type": "product",
        "subject_id": str(product_id),
        "average": 5.0,
        "count": 1,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1},
    }


def test_flagged_review_waits_and_counts_only_once_approved(
    product_id, customer, write_review, committed
):
    review = write_review(
        author=customer, subject_id=product_id, body="Cheaper at www.example.test!"
    )
    assert review.status == ReviewStatus.PENDING
    assert review.moderation_flags == ["link"]
    assert not _events("reviews.review_published")
    committed(services.review_approve, review_id=review.pk)
    assert RatingAggregate.objects.get(subject_id=product_id).count == 1


def test_verified_only_refuses_a_customer_without_a_delivered_purchase(
    settings, product_id, customer
):
    settings.REVIEWS_ALLOW_UNVERIFIED = False
    with pytest.raises(ApplicationError) as exc:
        services.review_create(
            author_user_id=customer, subject_type="product", subject_id=product_id,
            rating=4, title="Nice", body="Never bought it but I like it.",
        )  # fmt: skip
    assert (exc.value.status_code, exc.value.code) == (403, "purchase_required")
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("subject_type", "code"), [("product", "subject_not_found"), ("store", "subject_not_found"),
                               ("vendor", "subject_not_found"), ("order", "invalid_subject_type")]
)  # fmt: skip
def test_unknown_subjects_are_refused(customer, subject_type, code):
    with pytest.raises(ApplicationError) as exc:
        services.review_create(
            author_user_id=customer, subject_type=subject_type, subject_id=uuid.uuid4(),
            rating=4, title="Nice", body="A perfectly fine text.",
        )  # fmt: skip
    assert exc.value.code == code


def test_store_and_vendor_reviews(seller, customer, write_review):
    store_review = write_review(author=customer, subject_type="store", subject_id=seller.store_id)
    vendor_review = write_review(
        author=customer, subject_type="vendor", subject_id=seller.vendor_id
    )
    assert store_review.owner_vendor_id == vendor_review.owner_vendor_id == seller.vendor_id
    summaries = facade.rating_summaries(subject_type="store", subject_ids=[seller.store_id])
    assert summaries[seller.store_id].count == 1


def test_one_review_per_customer_and_subject(product_id, customer, write_review):
    write_review(author=customer, subject_id=product_id)
    with pytest.raises(ApplicationError) as exc:
        write_review(author=customer, subject_id=product_id, body="Another opinion entirely.")
    assert (exc.value.status_code, exc.value.code) == (409, "already_reviewed")


def test_vendor_people_cannot_review_their_own_products(seller, product_id):
    with pytest.raises(ApplicationError) as exc:
        services.review_create(
            author_user_id=seller.owner_user_id, subject_type="product", subject_id=product_id,
            rating=5, title="Best", body="Our product is simply the best.",
        )  # fmt: skip
    assert exc.value.code == "own_subject"


def test_edit_keeps_history_and_moves_the_rating(product_id, customer, write_review, committed):
    review = write_review(author=customer, subject_id=product_id, rating=2)
    committed(services.review_update, review_id=review.pk, author_user_id=customer, rating=4,
              body="Better after the firmware update.")  # fmt: skip
    review.refresh_from_db()
    assert (review.rating, review.counted_rating, review.edited_at is not None) == (4, 4, True)
    assert [(r.rating, r.body) for r in review.revisions.all()] == [
        (2, "Does what it says, well made.")
    ]
    (updated,) = _events("reviews.review_updated")
    assert (updated["previous_rating"], updated["rating"]) == (2, 4)
    aggregate = RatingAggregate.objects.get(subject_id=product_id)
    assert aggregate.distribution() == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}


def test_an_edit_that_fails_moderation_uncounts_the_review(
    product_id, customer, write_review, committed
):
    review = write_review(author=customer, subject_id=product_id, rating=3)
    committed(services.review_update, review_id=review.pk, author_user_id=customer,
              body="Total scam, go to www.example.test")  # fmt: skip
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING
    assert set(review.moderation_flags) == {"link", "banned_word"}
    (removed,) = _events("reviews.review_removed")
    assert removed["rating"] == 3
    assert RatingAggregate.objects.get(subject_id=product_id).count == 0


def test_only_the_author_edits_or_deletes(product_id, customer, seller, write_review):
    review = write_review(author=customer, subject_id=product_id)
    for call in (services.review_update, services.review_delete):
        kwargs = {"rating": 1} if call is services.review_update else {}
        with pytest.raises(ApplicationError) as exc:
            call(review_id=review.pk, author_user_id=seller.owner_user_id, **kwargs)
        assert (exc.value.status_code, exc.value.code) == (403, "not_author")


def test_author_deletes_and_may_review_again(product_id, customer, write_review, committed):
    review = write_review(author=customer, subject_id=product_id, rating=1)
    committed(services.review_delete, review_id=review.pk, author_user_id=customer)
    review.refresh_from_db()
    assert review.status == ReviewStatus.DELETED
    assert RatingAggregate.objects.get(subject_id=product_id).count == 0
    again = write_review(author=customer, subject_id=product_id, rating=5)
    assert again.status == ReviewStatus.PUBLISHED


def test_staff_reject_needs_a_pending_review_and_tells_the_author(
    product_id, customer, write_review
):
    review = write_review(author=customer, subject_id=product_id, body="Idiot seller, avoid.")
    with pytest.raises(ApplicationError):
        services.review_reject(review_id=review.pk, reason="   ")
    services.review_reject(review_id=review.pk, reason="Insults are not allowed.")
    (rejected,) = _events("reviews.review_rejected")
    assert rejected == {
        "review_id": str(review.pk),
        "author_user_id": str(customer),
        "reason": "Insults are not allowed.",
    }
    with pytest.raises(ApplicationError) as exc:
        services.review_update(review_id=review.pk, author_user_id=customer, rating=1)
    assert exc.value.code == "review_not_editable"


def test_vendor_replies_once_and_only_to_its_own_subjects(
    product_id, seller, customer, write_review
):
    review = write_review(author=customer, subject_id=product_id)
    other = make_seller()
    with pytest.raises(ApplicationError) as exc:
        services.review_reply(review_id=review.pk, user_id=other.owner_user_id, body="Thanks!")
    assert (exc.value.status_code, exc.value.code) == (403, "not_subject_owner")
    with pytest.raises(ApplicationError) as exc:
        services.review_reply(review_id=review.pk, user_id=customer, body="Thanks!")
    assert exc.value.code == "not_vendor"
    services.review_reply(review_id=review.pk, user_id=seller.owner_user_id, body="Thank you!")
    (replied,) = _events("reviews.review_replied")
    assert replied == {
        "review_id": str(review.pk),
        "author_user_id": str(customer),
        "vendor_id": str(seller.vendor_id),
    }
    with pytest.raises(ApplicationError) as exc:
        services.review_reply(review_id=review.pk, user_id=seller.owner_user_id, body="Again")
    assert (exc.value.status_code, exc.value.code) == (409, "already_replied")


def test_staff_made_products_have_no_owner_to_reply(customer, seller, write_review):
    product = make_product()
    review = write_review(author=customer, subject_id=product)
    assert review.owner_vendor_id is None
    with pytest.raises(ApplicationError) as exc:
        services.review_reply(review_id=review.pk, user_id=seller.owner_user_id, body="Hi")
    assert exc.value.code == "not_subject_owner"


def test_helpful_votes_once_and_never_on_ones_own(product_id, customer, write_review):
    review = write_review(author=customer, subject_id=product_id)
    voter = make_user()[0]
    assert services.review_vote_helpful(review_id=review.pk, voter_user_id=voter).helpful_count == 1
    with pytest.raises(ApplicationError) as exc:
        services.review_vote_helpful(review_id=review.pk, voter_user_id=voter)
    assert (exc.value.status_code, exc.value.code) == (409, "already_voted")
    with pytest.raises(ApplicationError) as exc:
        services.review_vote_helpful(review_id=review.pk, voter_user_id=customer)
    assert (exc.value.status_code, exc.value.code) == (403, "own_review")
    services.review_vote_withdraw(review_id=review.pk, voter_user_id=voter)
    review.refresh_from_db()
    assert review.helpful_count == 0


def test_reports_queue_for_staff_until_a_decision(product_id, customer, write_review, committed):
    review = write_review(author=customer, subject_id=product_id)
    reporter = make_user()[0]
    services.review_report(review_id=review.pk, reporter_user_id=reporter, reason="spam")
    with pytest.raises(ApplicationError) as exc:
        services.review_report(review_id=review.pk, reporter_user_id=reporter, reason="spam")
    assert exc.value.code == "already_reported"
    with pytest.raises(ApplicationError) as exc:
        services.review_report(review_id=review.pk, reporter_user_id=make_user()[0], reason="meh")
    assert exc.value.code == "invalid_reason"
    review.refresh_from_db()
    assert review.open_report_count == 1
    committed(services.review_remove, review_id=review.pk, reason="Spam")
    review.refresh_from_db()
    assert (review.status, review.open_report_count) == (ReviewStatus.REMOVED, 0)
    assert ReviewReport.objects.get().status == ReviewReport.Status.RESOLVED
    assert RatingAggregate.objects.get(subject_id=product_id).count == 0


def test_aggregate_handlers_are_idempotent_through_the_inbox(product_id, customer, write_review):
    from bazaar_platform.events.consumer import apply_event
    from bazaar_platform.events.registry import all_subscriptions
    from contexts.reviews.events import ReviewPublished

    write_review(author=customer, subject_id=product_id, rating=4)
    event = ReviewPublished.model_validate(_events("reviews.review_published")[0] | {
        "event_id": OutboxMessage.objects.get(event_type="reviews.review_published").event_id
    })  # fmt: skip
    (sub,) = [s for s in all_subscriptions() if s.event_type == event.event_type
              and s.context == "reviews"]  # fmt: skip
    apply_event(sub, event)  # a redelivery
    assert RatingAggregate.objects.get(subject_id=product_id).count == 1
