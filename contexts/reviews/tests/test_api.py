"""The reviews API end to end over HTTP: happy paths, every bad input as a clear 4xx,
constant queries per page."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from contexts.catalog import facade as catalog
from contexts.reviews import services
from contexts.reviews.tests.conftest import image_bytes, login
from tests.support.sellers import make_user

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

API = "/api/v1/reviews"


@pytest.fixture
def author(db):
    user_id, email = make_user()
    return user_id, login(APIClient(), email)


def _create(client, product_id, **overrides):
    body = {
        "subject_type": "product",
        "subject_id": str(product_id),
        "rating": 4,
        "title": "Good <b>value</b>",
        "body": "<script>alert(1)</script>\nSolid build, quick delivery.",
        **overrides,
    }
    return client.post(f"{API}/create", body, format="json")


def _error(response):
    return response.json()["error"]["code"]


def test_write_read_and_escape(author, product_id, django_capture_on_commit_callbacks):
    _, client = author
    with django_capture_on_commit_callbacks(execute=True):
        response = _create(client, product_id)
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["status"] == "published" and data["is_own"] is True
    assert data["body"].startswith("<script>")  # stored and returned as the text typed
    assert "&lt;script&gt;" in data["body_html"] and "<script>" not in data["body_html"]
    listed = APIClient().get(f"{API}/subjects/product/{product_id}")
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["data"]] == [data["id"]]
    assert listed.json()["data"][0]["is_own"] is False
    rating = APIClient().get(f"{API}/subjects/product/{product_id}/rating").json()["data"]
    assert (rating["count"], rating["average"]) == (1, 4.0)
    mine = client.get(f"{API}/mine").json()["data"]
    assert [r["id"] for r in mine] == [data["id"]]


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"rating": 0}, 400, "validation_error"),
        ({"rating": 6}, 400, "validation_error"),
        ({"rating": "five"}, 400, "validation_error"),
        ({"body": ""}, 400, "body_too_short"),
        ({"body": "x" * 5001}, 400, "body_too_long"),
        ({"title": "   "}, 400, "title_too_short"),
        ({"subject_type": "order"}, 400, "validation_error"),
        ({"subject_id": "not-a-uuid"}, 400, "validation_error"),
        ({"subject_id": str(uuid.UUID(int=1))}, 404, "subject_not_found"),
        ({"extra": 1}, 400, "validation_error"),
    ],
)
def test_bad_review_input_is_a_clear_4xx(author, product_id, overrides, status, code):
    _, client = author
    response = _create(client, product_id, **overrides)
    assert response.status_code == status, response.content
    assert _error(response) == code


def test_verified_only_refuses_what_was_never_bought(settings, author, product_id):
    settings.REVIEWS_ALLOW_UNVERIFIED = False
    response = _create(author[1], product_id)
    assert response.status_code == 403
    assert _error(response) == "purchase_required"


def test_anonymous_cannot_write(product_id):
    assert _create(APIClient(), product_id).status_code in (401, 403)


def test_second_review_vote_twice_reply_as_other_vendor(
    author, product_id, seller, django_capture_on_commit_callbacks
):
    _, client = author
    review_id = _create(client, product_id).json()["data"]["id"]
    assert _error(_create(client, product_id)) == "already_reviewed"
    voter = login(APIClient(), make_user()[1])
    assert voter.post(f"{API}/{review_id}/vote").json()["data"]["helpful_count"] == 1
    twice = voter.post(f"{API}/{review_id}/vote")
    assert (twice.status_code, _error(twice)) == (409, "already_voted")
    own = client.post(f"{API}/{review_id}/vote")
    assert (own.status_code, _error(own)) == (403, "own_review")
    other_vendor = login(APIClient(), make_user(role="vendor")[1])
    refused = other_vendor.post(f"{API}/{review_id}/reply", {"body": "Hi"}, format="json")
    assert refused.status_code == 403
    owner = login(APIClient(), seller.owner_email)
    replied = owner.post(f"{API}/{review_id}/reply", {"body": "Thanks <3"}, format="json")
    assert replied.status_code == 201, replied.content
    assert replied.json()["data"]["reply"]["body_html"] == "<p>Thanks &lt;3</p>"
    again = owner.post(f"{API}/{review_id}/reply", {"body": "Again"}, format="json")
    assert (again.status_code, _error(again)) == (409, "already_replied")
    # the vendor cannot delete the review; only its author can
    denied = owner.post(f"{API}/{review_id}/delete")
    assert denied.status_code == 403
    assert client.post(f"{API}/{review_id}/delete").status_code == 204
    assert APIClient().get(f"{API}/{review_id}").status_code == 404


def test_edit_report_and_photos(author, product_id, settings):
    settings.REVIEWS_PHOTO_MAX_BYTES = 100_000
    _, client = author
    review_id = _create(client, product_id).json()["data"]["id"]
    edited = client.post(f"{API}/{review_id}/update", {"rating": 2}, format="json")
    assert edited.json()["data"]["rating"] == 2
    bad = client.post(f"{API}/{review_id}/update", {"rating": 9}, format="json")
    assert bad.status_code == 400
    reporter = login(APIClient(), make_user()[1])
    report = reporter.post(f"{API}/{review_id}/report", {"reason": "spam"}, format="json")
    assert report.status_code == 201
    assert (
        reporter.post(f"{API}/{review_id}/report", {"reason": "nope"}, format="json").status_code
        == 400
    )
    for _ in range(4):
        upload = SimpleUploadedFile("p.png", image_bytes(), content_type="image/png")
        added = client.post(f"{API}/{review_id}/photos", {"photo": upload}, format="multipart")
        assert added.status_code == 201, added.content
    fifth = SimpleUploadedFile("p.png", image_bytes(), content_type="image/png")
    response = client.post(f"{API}/{review_id}/photos", {"photo": fifth}, format="multipart")
    assert (response.status_code, _error(response)) == (409, "too_many_photos")
    fake = SimpleUploadedFile("p.png", b"GIF89a not really", content_type="image/png")
    response = client.post(f"{API}/{review_id}/photos", {"photo": fake}, format="multipart")
    assert _error(response) == "not_an_image"
    photos = client.get(f"{API}/{review_id}").json()["data"]["photos"]
    assert len(photos) == 4
    removed = client.post(f"{API}/{review_id}/photos/{photos[0]['id']}/delete")
    assert removed.status_code == 204


@pytest.mark.parametrize(
    "query",
    ["sort=worst", "rating=7", "verified=maybe", "limit=0", "colour=red"],
)
def test_bad_list_queries_are_400(product_id, query):
    response = APIClient().get(f"{API}/subjects/product/{product_id}?{query}")
    assert response.status_code == 400, response.content


def test_unknown_subject_type_is_404():
    response = APIClient().get(f"{API}/subjects/order/{uuid.uuid4()}")
    assert response.status_code == 404


def test_sorts_and_filters(product_id, write_review):
    ids = {}
    for rating in (3, 5, 1):
        ids[rating] = write_review(author=make_user()[0], subject_id=product_id, rating=rating).pk
    client = APIClient()

    def ratings(query):
        data = client.get(f"{API}/subjects/product/{product_id}?{query}").json()["data"]
        return [r["rating"] for r in data]

    assert ratings("sort=highest") == [5, 3, 1]
    assert ratings("sort=lowest") == [1, 3, 5]
    assert ratings("sort=newest") == [1, 5, 3]
    assert ratings("rating=5") == [5]
    assert ratings("verified=true") == []
    assert ratings("verified=false&sort=lowest") == [1, 3, 5]
    voter = make_user()[0]
    services.review_vote_helpful(review_id=ids[3], voter_user_id=voter)
    assert ratings("sort=most_helpful")[0] == 3


@pytest.mark.parametrize("count", [3, 12])
def test_constant_queries_per_page(
    product_id, write_review, seller, django_assert_num_queries, count
):
    for n in range(count):
        review = write_review(author=make_user()[0], subject_id=product_id, rating=1 + n % 5,
                              body=f"Honest opinion number {n}, fine.")  # fmt: skip
        services.review_reply(review_id=review.pk, user_id=seller.owner_user_id, body="Thanks")
    client = login(APIClient(), make_user()[1])
    client.get(f"{API}/subjects/product/{product_id}")  # warm the signing-key and status caches
    # count, page (reply joined, viewer's vote as a subquery), photos
    with django_assert_num_queries(3):
        response = client.get(f"{API}/subjects/product/{product_id}?limit=20")
    assert len(response.json()["data"]) == count


def test_catalogue_shows_the_product_rating_from_review_events(product_id, write_review, committed):
    write_review(author=make_user()[0], subject_id=product_id, rating=5)
    review = write_review(author=make_user()[0], subject_id=product_id, rating=2)
    slug = catalog.product_summaries([product_id])[product_id].slug
    detail = APIClient().get(f"/api/v1/catalog/products/{slug}/").json()["data"]
    assert (detail["rating_average"], detail["rating_count"]) == (3.5, 2)
    committed(services.review_delete, review_id=review.pk, author_user_id=review.author_user_id)
    detail = APIClient().get(f"/api/v1/catalog/products/{slug}/").json()["data"]
    assert (detail["rating_average"], detail["rating_count"]) == (5.0, 1)
