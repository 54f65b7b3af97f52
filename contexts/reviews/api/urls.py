"""Mounted by config/urls.py at /api/v1/reviews/ (namespace "reviews")."""

from __future__ import annotations

from django.urls import URLPattern, path

from contexts.reviews.api import views as v

SUBJECT = "subjects/<str:subject_type>/<uuid:subject_id>"

urlpatterns: list[URLPattern] = [
    path(SUBJECT, v.ReviewListForSubjectApi.as_view(), name="subject-reviews"),
    path(f"{SUBJECT}/rating", v.RatingSummaryApi.as_view(), name="subject-rating"),
    path("mine", v.MyReviewListApi.as_view(), name="mine"),
    path("create", v.ReviewCreateApi.as_view(), name="create"),
    path("<uuid:review_id>", v.ReviewDetailApi.as_view(), name="detail"),
    path("<uuid:review_id>/update", v.ReviewUpdateApi.as_view(), name="update"),
    path("<uuid:review_id>/delete", v.ReviewDeleteApi.as_view(), name="delete"),
    path("<uuid:review_id>/photos", v.ReviewPhotoAddApi.as_view(), name="photo-add"),
    path(
        "<uuid:review_id>/photos/<uuid:photo_id>/delete",
        v.ReviewPhotoDeleteApi.as_view(),
        name="photo-delete",
    ),
    path("<uuid:review_id>/reply", v.ReviewReplyApi.as_view(), name="reply"),
    path("<uuid:review_id>/vote", v.ReviewVoteApi.as_view(), name="vote"),
    path("<uuid:review_id>/vote/delete", v.ReviewVoteWithdrawApi.as_view(), name="vote-withdraw"),
    path("<uuid:review_id>/report", v.ReviewReportApi.as_view(), name="report"),
]
