"""Staff moderation in the admin: decisions go through the services (events, aggregates),
the reports queue filters, nobody deletes a review there."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from bazaar_platform.events.models import OutboxMessage
from contexts.reviews import services
from contexts.reviews.models import RatingAggregate, Review, ReviewStatus
from tests.support.sellers import make_user

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ADMIN = "/admin/reviews/review"


@pytest.fixture
def pending(product_id, customer, write_review) -> Review:
    return write_review(author=customer, subject_id=product_id, body="A scam, stay away from it.")


def _decide(admin_client, review: Review, decision: str, reason: str = ""):
    return admin_client.post(
        f"{ADMIN}/{review.pk}/change/",
        {
            "decision": decision,
            "reason": reason,
            "reports-TOTAL_FORMS": "0",
            "reports-INITIAL_FORMS": "0",
            "reports-MIN_NUM_FORMS": "0",
            "reports-MAX_NUM_FORMS": "1000",
            "revisions-TOTAL_FORMS": "0",
            "revisions-INITIAL_FORMS": "0",
            "revisions-MIN_NUM_FORMS": "0",
            "revisions-MAX_NUM_FORMS": "1000",
        },
    )


def test_pages_render_and_the_reports_queue_filters(
    admin_client, pending, product_id, write_review
):
    reported = write_review(
        author=make_user()[0], subject_id=product_id, body="Fine enough, works."
    )
    services.review_report(review_id=reported.pk, reporter_user_id=make_user()[0], reason="spam")
    assert admin_client.get(f"{ADMIN}/").status_code == 200
    queue = admin_client.get(f"{ADMIN}/?reported=yes")
    assert reported.title.encode() in queue.content
    assert queue.context["cl"].result_count == 1
    services.review_update(
        review_id=reported.pk, author_user_id=reported.author_user_id, body="Fine enough, mostly."
    )
    page = admin_client.get(f"{ADMIN}/{reported.pk}/change/")
    assert page.status_code == 200 and b"spam" in page.content
    assert b"Fine enough, works." in page.content  # the version before the edit
    assert admin_client.get(f"{ADMIN}/add/").status_code == 403
    assert admin_client.get(f"{ADMIN}/{reported.pk}/delete/").status_code == 403


def test_reject_needs_a_reason_and_tells_the_author(admin_client, pending):
    response = _decide(admin_client, pending, "reject")
    assert response.status_code == 200  # the form again, with the error
    assert b"needs a reason" in response.content
    response = _decide(admin_client, pending, "reject", "Insults are not allowed.")
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.status_reason) == (
        ReviewStatus.REJECTED,
        "Insults are not allowed.",
    )
    assert OutboxMessage.objects.filter(event_type="reviews.review_rejected").count() == 1


def test_approve_publishes_and_counts(
    admin_client, pending, product_id, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert _decide(admin_client, pending, "approve").status_code == 302
    pending.refresh_from_db()
    assert pending.status == ReviewStatus.PUBLISHED
    assert RatingAggregate.objects.get(subject_id=product_id).count == 1


def test_bulk_remove(admin_client, product_id, write_review, django_capture_on_commit_callbacks):
    review = write_review(author=make_user()[0], subject_id=product_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"{ADMIN}/", {"action": "remove_selected", ACTION_CHECKBOX_NAME: [str(review.pk)]}
        )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.REMOVED
    assert RatingAggregate.objects.get(subject_id=product_id).count == 0


def test_an_impossible_decision_is_a_message_not_an_error(admin_client, pending):
    services.review_remove(review_id=pending.pk)
    response = _decide(admin_client, pending, "approve")
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == ReviewStatus.REMOVED
