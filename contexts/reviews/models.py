"""Reviews of products, stores and vendors; replies, votes, reports and rating aggregates.

Subjects are referenced by UUID (catalog owns products, vendors owns stores and
vendors), users by UUID (the auth context owns them).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class SubjectType(models.TextChoices):
    PRODUCT = "product", "Product"
    STORE = "store", "Store"
    VENDOR = "vendor", "Vendor"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending moderation"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected by staff"
    REMOVED = "removed", "Removed by staff"
    DELETED = "deleted", "Deleted by its author"


class Review(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject_type = models.CharField(max_length=8, choices=SubjectType.choices)
    subject_id = models.UUIDField()
    owner_vendor_id = models.UUIDField(null=True, blank=True, db_index=True)
    author_user_id = models.UUIDField(db_index=True)
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    # Plain text as typed: escaped by whoever renders it, never trusted as HTML.
    body = models.TextField()
    status = models.CharField(max_length=10, choices=ReviewStatus.choices)
    moderation_flags = models.JSONField(default=list, blank=True)
    status_reason = models.CharField(max_length=500, blank=True)
    verified_purchase = models.BooleanField(default=False)
    # The rating the subject's aggregate holds for this review (None: not counted).
    # Events carry it as the previous rating, so the aggregate never double-counts.
    counted_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    helpful_count = models.PositiveIntegerField(default=0)
    open_report_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_to_5"
            ),
            # An author may write again about a subject only after deleting their review;
            # a rejected or removed one still counts, so moderation cannot be dodged.
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "author_user_id"],
                condition=~Q(status="deleted"),
                name="one_review_per_author_and_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "status", "-created_at"]),
            models.Index(fields=["status", "open_report_count"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.rating}/5)"


class ReviewRevision(models.Model):
    """A review as it was before an edit: the edit history."""

    id = models.BigAutoField(primary_key=True)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="revisions")
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["review", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.review_id} before {self.created_at:%Y-%m-%d %H:%M}"


def _photo_path(instance: ReviewPhoto, filename: str) -> str:
    return f"reviews/{instance.review_id}/{filename}"


class ReviewPhoto(models.Model):
    class Format(models.TextChoices):
        JPEG = "jpeg", "JPEG"
        PNG = "png", "PNG"
        WEBP = "webp", "WebP"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=_photo_path, max_length=255)
    format = models.CharField(max_length=5, choices=Format.choices)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "created_at"]

    def __str__(self) -> str:
        return self.image.name or str(self.id)


class ReviewReply(models.Model):
    """The one public reply of the vendor owning the subject."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="reply")
    vendor_id = models.UUIDField()
    author_user_id = models.UUIDField()
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Reply to {self.review_id}"


class HelpfulVote(models.Model):
    id = models.BigAutoField(primary_key=True)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="votes")
    voter_user_id = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "voter_user_id"], name="one_vote_per_voter")
        ]

    def __str__(self) -> str:
        return f"{self.voter_user_id} found {self.review_id} helpful"


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam or advertising"
    OFFENSIVE = "offensive", "Offensive or abusive"
    OFF_TOPIC = "off_topic", "Not about the product, store or vendor"
    FAKE = "fake", "Fake or conflict of interest"
    PERSONAL_DATA = "personal_data", "Contains personal data"
    OTHER = "other", "Other"


class ReviewReport(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reports")
    reporter_user_id = models.UUIDField()
    reason = models.CharField(max_length=16, choices=ReportReason.choices)
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "reporter_user_id"], name="one_report_per_reporter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} report on {self.review_id}"


class RatingAggregate(models.Model):
    """Count, sum and distribution of the published ratings of one subject.

    Maintained incrementally by the handlers of the context's own review events;
    ``recompute_review_aggregates`` rebuilds it from the reviews.
    """

    id = models.BigAutoField(primary_key=True)
    subject_type = models.CharField(max_length=8, choices=SubjectType.choices)
    subject_id = models.UUIDField()
    count = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)
    count_1 = models.IntegerField(default=0)
    count_2 = models.IntegerField(default=0)
    count_3 = models.IntegerField(default=0)
    count_4 = models.IntegerField(default=0)
    count_5 = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id"], name="one_aggregate")
        ]

    def __str__(self) -> str:
        return f"{self.subject_type} {self.subject_id}: {self.average} ({self.count})"

    @property
    def average(self) -> float:
        return round(self.rating_sum / self.count, 2) if self.count else 0.0

    def distribution(self) -> dict[str, int]:
        return {str(n): getattr(self, f"count_{n}") for n in range(1, 6)}
