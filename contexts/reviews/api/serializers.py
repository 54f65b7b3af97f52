"""Input and output serializers of the reviews API.

Text is returned twice: ``body`` as the author typed it (a JSON string; clients that
build HTML must escape it) and ``body_html``, already escaped with line breaks, for
clients that insert HTML. Nothing a reviewer typed is ever rendered as markup.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import escape, linebreaks
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contexts.reviews.models import ReportReason, Review, ReviewPhoto, ReviewReply, SubjectType
from contexts.reviews.selectors import SORTS


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know: a misspelt field is a 400, never silently dropped."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


def _text(**kwargs: Any) -> serializers.CharField:
    # Length and emptiness are the services' rules (with their own error codes).
    return serializers.CharField(allow_blank=True, trim_whitespace=False, **kwargs)


class ReviewCreateInput(StrictSerializer):
    subject_type = serializers.ChoiceField(choices=SubjectType.choices)
    subject_id = serializers.UUIDField()
    rating = serializers.IntegerField(min_value=1, max_value=5)
    title = _text()
    body = _text()


class ReviewUpdateInput(StrictSerializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    title = _text(required=False)
    body = _text(required=False)


class ReplyInput(StrictSerializer):
    body = _text()


class ReportInput(StrictSerializer):
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    note = _text(required=False)


class PhotoInput(serializers.Serializer):
    photo = serializers.FileField(allow_empty_file=True)


class ReviewListQuery(StrictSerializer):
    sort = serializers.ChoiceField(choices=list(SORTS), default="newest")
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    verified = serializers.BooleanField(required=False, allow_null=True, default=None)


def _html(text: str) -> str:
    return linebreaks(escape(text))


class PhotoOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ReviewPhoto
        fields = ["id", "url", "format", "width", "height"]

    def get_url(self, photo: ReviewPhoto) -> str:
        return photo.image.url


class ReplyOutput(serializers.ModelSerializer):
    body_html = serializers.SerializerMethodField()

    class Meta:
        model = ReviewReply
        fields = ["vendor_id", "body", "body_html", "created_at"]

    def get_body_html(self, reply: ReviewReply) -> str:
        return _html(reply.body)


class ReviewOutput(serializers.ModelSerializer):
    title = serializers.CharField()
    body_html = serializers.SerializerMethodField()
    photos = PhotoOutput(many=True, read_only=True)
    reply = serializers.SerializerMethodField()
    viewer_found_helpful = serializers.SerializerMethodField()
    is_own = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "subject_type",
            "subject_id",
            "rating",
            "title",
            "body",
            "body_html",
            "verified_purchase",
            "helpful_count",
            "viewer_found_helpful",
            "is_own",
            "status",
            "status_reason",
            "photos",
            "reply",
            "created_at",
            "edited_at",
        ]

    def get_body_html(self, review: Review) -> str:
        return _html(review.body)

    @extend_schema_field(ReplyOutput(allow_null=True))
    def get_reply(self, review: Review) -> dict[str, Any] | None:
        # A missing one-to-one raises an AttributeError subclass: getattr's default covers it.
        reply = getattr(review, "reply", None)
        return None if reply is None else dict(ReplyOutput(reply).data)

    def get_viewer_found_helpful(self, review: Review) -> bool:
        return bool(getattr(review, "viewer_found_helpful", False))

    def get_is_own(self, review: Review) -> bool:
        return str(review.author_user_id) == str(self.context.get("viewer_user_id"))


class RatingSummaryOutput(serializers.Serializer):
    subject_type = serializers.CharField()
    subject_id = serializers.UUIDField()
    average = serializers.FloatField()
    count = serializers.IntegerField()
    distribution = serializers.DictField(child=serializers.IntegerField())


class ReportOutput(serializers.Serializer):
    id = serializers.UUIDField()
    reason = serializers.CharField()
    status = serializers.CharField()
