"""The reviews API: one thin view per operation.

Reading reviews and ratings is public (``AllowAny``), so third-party applications may
read them too. Writing (reviews, photos, replies, votes, reports) is first-party only:
the base views refuse third-party tokens on these endpoints, as for every endpoint that
declares no scope; no ``reviews:write`` scope is offered to third parties.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from bazaar_platform.api.errors import ApplicationError, NotFoundError
from bazaar_platform.api.views import BazaarAPIView, BazaarListAPIView
from bazaar_platform.tokens.permissions import (
    IsActiveCustomer,
    IsActiveVendor,
    principal_user_id,
)
from contexts.reviews import facade, services
from contexts.reviews.api import serializers as s
from contexts.reviews.models import Review, SubjectType
from contexts.reviews.selectors import (
    review_get_visible,
    review_list_for_author,
    review_list_for_subject,
)


def _validated(serializer_class: type[Any], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _user(request: Request) -> UUID:
    user_id = principal_user_id(request.user)
    if user_id is None:  # the permission classes let no anonymous caller this far
        raise ApplicationError("Sign in first.", code="not_authenticated", status_code=401)
    return user_id


def _subject_type(value: str) -> str:
    if value not in SubjectType.values:
        raise NotFoundError("Subjects are product, store or vendor.", code="invalid_subject_type")
    return value


def _review_out(request: Request, review_id: UUID, code: int = status.HTTP_200_OK) -> Response:
    viewer = principal_user_id(request.user)
    review = review_get_visible(review_id=review_id, viewer_user_id=viewer)
    if review is None:
        raise NotFoundError("No such review.")
    return Response(s.ReviewOutput(review, context={"viewer_user_id": viewer}).data, status=code)


class ReviewListForSubjectApi(BazaarListAPIView):
    """Published reviews of one product, store or vendor."""

    permission_classes = [AllowAny]
    serializer_class = s.ReviewOutput
    extra_query_params = frozenset({"sort", "rating", "verified"})

    def get_queryset(self) -> QuerySet[Review]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Review.objects.none()
        params = self.request.query_params
        query = _validated(
            s.ReviewListQuery, {k: params[k] for k in self.extra_query_params if k in params}
        )
        return review_list_for_subject(
            subject_type=_subject_type(self.kwargs["subject_type"]),
            subject_id=self.kwargs["subject_id"],
            sort=query["sort"],
            rating=query.get("rating"),
            verified=query.get("verified"),
            viewer_user_id=principal_user_id(self.request.user),
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "viewer_user_id": principal_user_id(self.request.user),
        }

    @extend_schema(
        summary="Reviews of a product, store or vendor",
        parameters=[
            OpenApiParameter("sort", enum=list(s.SORTS), default="newest"),
            OpenApiParameter("rating", int, description="Only reviews with this rating (1-5)."),
            OpenApiParameter("verified", bool, description="Only (un)verified purchases."),
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class RatingSummaryApi(BazaarAPIView):
    """Average, count and distribution of a subject's published ratings (store and vendor
    pages use it; products carry theirs in the catalogue too)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=s.RatingSummaryOutput, summary="Rating of a product, store or vendor")
    def get(self, request: Request, subject_type: str, subject_id: UUID) -> Response:
        kind = _subject_type(subject_type)
        summary = facade.rating_summaries(subject_type=kind, subject_ids=[subject_id])[subject_id]
        return Response(s.RatingSummaryOutput(summary).data)


class MyReviewListApi(BazaarListAPIView):
    """The caller's reviews in any moderation state (pending, rejected with its reason...)."""

    permission_classes = [IsActiveCustomer]
    serializer_class = s.ReviewOutput

    def get_queryset(self) -> QuerySet[Review]:
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        return review_list_for_author(author_user_id=_user(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "viewer_user_id": principal_user_id(self.request.user),
        }

    @extend_schema(summary="My reviews")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ReviewDetailApi(BazaarAPIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=s.ReviewOutput, summary="A published review (or one's own)")
    def get(self, request: Request, review_id: UUID) -> Response:
        return _review_out(request, review_id)


class ReviewCreateApi(BazaarAPIView):
    permission_classes = [IsActiveCustomer]

    @extend_schema(
        request=s.ReviewCreateInput,
        responses={201: s.ReviewOutput},
        summary="Review a product, store or vendor",
        description="Published at once, or pending when the automatic check holds it for "
        "staff. 403 purchase_required without a delivered purchase (verified-only mode), "
        "409 already_reviewed for a second review of the same subject.",
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.ReviewCreateInput, request.data)
        review = services.review_create(author_user_id=_user(request), **data)
        return _review_out(request, review.pk, status.HTTP_201_CREATED)


class ReviewUpdateApi(BazaarAPIView):
    permission_classes = [IsActiveCustomer]

    @extend_schema(
        request=s.ReviewUpdateInput,
        responses=s.ReviewOutput,
        summary="Edit my review (the previous version is kept)",
    )
    def post(self, request: Request, review_id: UUID) -> Response:
        data = _validated(s.ReviewUpdateInput, request.data)
        services.review_update(review_id=review_id, author_user_id=_user(request), **data)
        return _review_out(request, review_id)


class ReviewDeleteApi(BazaarAPIView):
    permission_classes = [IsActiveCustomer]

    @extend_schema(request=None, responses={204: None}, summary="Delete my review")
    def post(self, request: Request, review_id: UUID) -> Response:
        services.review_delete(review_id=review_id, author_user_id=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewPhotoAddApi(BazaarAPIView):
    permission_classes = [IsActiveCustomer]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": s.PhotoInput},
        responses={201: s.ReviewOutput},
        summary=f"Add a photo to my review (JPEG, PNG or WebP; at most {services.MAX_PHOTOS})",
    )
    def post(self, request: Request, review_id: UUID) -> Response:
        upload = request.FILES.get("photo")
        if upload is None:
            raise ApplicationError(
                "Send the photo as the multipart field 'photo'.",
                code="photo_required",
                fields={"photo": ["This field is required."]},
            )
        services.review_photo_add(review_id=review_id, author_user_id=_user(request), file=upload)
        return _review_out(request, review_id, status.HTTP_201_CREATED)


class ReviewPhotoDeleteApi(BazaarAPIView):
    permission_classes = [IsActiveCustomer]

    @extend_schema(request=None, responses={204: None}, summary="Remove a photo of my review")
    def post(self, request: Request, review_id: UUID, photo_id: UUID) -> Response:
        services.review_photo_delete(
            review_id=review_id, photo_id=photo_id, author_user_id=_user(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewReplyApi(BazaarAPIView):
    permission_classes = [IsActiveVendor]

    @extend_schema(
        request=s.ReplyInput,
        responses={201: s.ReviewOutput},
        summary="Reply, as the vendor owning the subject, to a review (once)",
    )
    def post(self, request: Request, review_id: UUID) -> Response:
        data = _validated(s.ReplyInput, request.data)
        services.review_reply(review_id=review_id, user_id=_user(request), body=data["body"])
        return _review_out(request, review_id, status.HTTP_201_CREATED)


class ReviewVoteApi(BazaarAPIView):
    permission_classes = [IsActiveCustomer]

    @extend_schema(request=None, responses=s.ReviewOutput, summary="Mark a review helpful")
    def post(self, request: Request, review_id: UUID) -> Response:
        services.review_vote_helpful(review_id=review_id, voter_user_id=_user(request))
        return _review_out(request, review_id)


class ReviewVoteWithdrawApi(BazaarAPIView):
    permission_classes = [IsActiveCustomer]

    @extend_schema(request=None, responses=s.ReviewOutput, summary="Withdraw my helpful vote")
    def post(self, request: Request, review_id: UUID) -> Response:
        services.review_vote_withdraw(review_id=review_id, voter_user_id=_user(request))
        return _review_out(request, review_id)


class ReviewReportApi(BazaarAPIView):
    permission_classes = [IsActiveCustomer]

    @extend_schema(
        request=s.ReportInput,
        responses={201: s.ReportOutput},
        summary="Report a review to staff",
    )
    def post(self, request: Request, review_id: UUID) -> Response:
        data = _validated(s.ReportInput, request.data)
        report = services.review_report(
            review_id=review_id, reporter_user_id=_user(request), **data
        )
        return Response(s.ReportOutput(report).data, status=status.HTTP_201_CREATED)
