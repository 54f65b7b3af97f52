"""Writes of the reviews context: reviews, photos, replies, votes, reports, moderation,
and the rating aggregates.

A review counts in its subject's aggregate exactly while it is published. Every change
of that membership publishes one review event carrying the rating the aggregate holds
(``Review.counted_rating``), and the aggregate is maintained only from those events
(``handlers.py``), so it can be rebuilt by replaying them or by recomputation.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any
from uuid import UUID

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from bazaar_platform.events import publish
from contexts.catalog import facade as catalog
from contexts.orders import facade as orders
from contexts.reviews.events import (
    RatingSummaryChanged,
    ReviewPublished,
    ReviewRejected,
    ReviewRemoved,
    ReviewReplied,
    ReviewUpdated,
)
from contexts.reviews.models import (
    HelpfulVote,
    RatingAggregate,
    ReportReason,
    Review,
    ReviewPhoto,
    ReviewReply,
    ReviewReport,
    ReviewRevision,
    ReviewStatus,
    SubjectType,
)
from contexts.vendors import facade as vendors

TITLE_MAX = 120
BODY_MIN = 10
BODY_MAX = 5000
REPLY_MAX = 2000
REASON_MAX = 500
MAX_PHOTOS = 4
# Vendor roles that may answer reviews in the vendor's name.
REPLY_ROLES = frozenset({"owner", "manager"})


class ForbiddenError(ApplicationError):
    status_code = 403
    code = "forbidden"


# --- subjects ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    subject_type: str
    subject_id: UUID
    owner_vendor_id: UUID | None


def subject_resolve(*, subject_type: str, subject_id: UUID) -> Subject:
    """The subject as its owning context sees it now; 404 when it is not reviewable."""
    if subject_type == SubjectType.PRODUCT:
        product = catalog.product_summaries([subject_id]).get(subject_id)
        if product is None or not product.is_published or product.merged_into_id is not None:
            raise NotFoundError("No such product.", code="subject_not_found")
        return Subject(subject_type, subject_id, product.proposed_by_vendor_id)
    if subject_type == SubjectType.STORE:
        store = vendors.store_get(store_id=subject_id)
        if store is None:
            raise NotFoundError("No such store.", code="subject_not_found")
        return Subject(subject_type, subject_id, store.vendor_id)
    if subject_type == SubjectType.VENDOR:
        vendor = vendors.vendor_get(vendor_id=subject_id)
        if vendor is None or vendor.status == "pending":
            raise NotFoundError("No such vendor.", code="subject_not_found")
        return Subject(subject_type, subject_id, vendor.vendor_id)
    raise ApplicationError(
        "The subject type must be product, store or vendor.",
        code="invalid_subject_type",
        fields={"subject_type": ["Must be one of: product, store, vendor."]},
    )


def _has_delivered_purchase(*, user_id: UUID, subject: Subject) -> bool:
    ids = {f"{subject.subject_type}_id": subject.subject_id}
    return orders.customer_has_delivered_purchase(customer_user_id=user_id, **ids)


# --- input checks ------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_clean(value: object, *, field: str, min_length: int, max_length: int) -> str:
    """Stripped plain text within the limits. HTML is kept as typed (it is text to us and
    escaped wherever it is shown); control characters other than line breaks are refused."""
    if not isinstance(value, str):
        raise ApplicationError(
            f"The {field} must be text.", code="invalid_text", fields={field: ["Must be text."]}
        )
    text = value.strip()
    if _CONTROL.search(text):
        message = "Control characters are not allowed."
        raise ApplicationError(message, code="invalid_text", fields={field: [message]})
    if len(text) < min_length:
        message = (
            f"The {field} must not be empty."
            if min_length <= 1
            else f"The {field} needs at least {min_length} characters."
        )
        raise ApplicationError(message, code=f"{field}_too_short", fields={field: [message]})
    if len(text) > max_length:
        message = f"The {field} may have at most {max_length} characters."
        raise ApplicationError(message, code=f"{field}_too_long", fields={field: [message]})
    return text


def rating_clean(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        message = "The rating must be a whole number from 1 to 5."
        raise ApplicationError(message, code="invalid_rating", fields={"rating": [message]})
    return value


# --- automatic moderation ----------------------------------------------------------------

_LINK = re.compile(
    r"(https?://|www\.|\b[a-z0-9][a-z0-9-]*\.(com|net|org|info|biz|io|ru|cn|xyz|top|ly|me)\b)",
    re.IGNORECASE,
)
_REPEATED_CHARACTER = re.compile(r"(\S)\1{9,}")
_REPEATED_WORD = re.compile(r"\b(\w+)\b(?:\W+\1\b){4,}", re.IGNORECASE)


def moderation_flags(
    *, text: str, banned_words: list[str], recent_reviews: int, duplicate: bool
) -> list[str]:
    """Why a review should wait for staff (empty: publish it). Pure, so it is unit-tested
    without a database; the caller counts the author's recent reviews and duplicates."""
    flags = []
    if _LINK.search(text):
        flags.append("link")
    words = {w.strip().lower() for w in banned_words if w.strip()}
    if words and any(w.lower() in words for w in re.findall(r"\w+", text)):
        flags.append("banned_word")
    if duplicate or _REPEATED_CHARACTER.search(text) or _REPEATED_WORD.search(text):
        flags.append("repeated_text")
    if recent_reviews >= settings.REVIEWS_MAX_PER_DAY:
        flags.append("rate")
    return flags


def _flags_for(review: Review, *, count_rate: bool) -> list[str]:
    others = Review.objects.filter(author_user_id=review.author_user_id).exclude(pk=review.pk)
    recent = 0
    if count_rate:
        recent = others.filter(created_at__gte=timezone.now() - timedelta(hours=24)).count()
    duplicate = (
        others.exclude(status=ReviewStatus.DELETED).filter(body__iexact=review.body).exists()
    )
    return moderation_flags(
        text=f"{review.title}\n{review.body}",
        banned_words=list(settings.REVIEWS_BANNED_WORDS),
        recent_reviews=recent,
        duplicate=duplicate,
    )


# --- events ------------------------------------------------------------------------------


def _event_fields(review: Review) -> dict[str, Any]:
    return {
        "review_id": review.pk,
        "subject_type": review.subject_type,
        "subject_id": review.subject_id,
        "author_user_id": review.author_user_id,
        "verified_purchase": review.verified_purchase,
        "owner_vendor_id": review.owner_vendor_id,
    }


def _count(review: Review) -> None:
    """Make the published review count with its current rating (publishing the event)."""
    previous = review.counted_rating
    review.counted_rating = review.rating
    if previous is None:
        publish(ReviewPublished(rating=review.rating, **_event_fields(review)))
    else:
        publish(
            ReviewUpdated(rating=review.rating, previous_rating=previous, **_event_fields(review))
        )


def _uncount(review: Review) -> None:
    if review.counted_rating is not None:
        publish(ReviewRemoved(rating=review.counted_rating, **_event_fields(review)))
        review.counted_rating = None


def _lock(review_id: UUID) -> Review:
    review = Review.objects.select_for_update().filter(pk=review_id).first()
    if review is None or review.status == ReviewStatus.DELETED:
        raise NotFoundError("No such review.")
    return review


def _resolve_reports(review: Review) -> None:
    ReviewReport.objects.filter(review=review, status=ReviewReport.Status.OPEN).update(
        status=ReviewReport.Status.RESOLVED, resolved_at=timezone.now()
    )
    review.open_report_count = 0


_SAVED = [
    "rating",
    "title",
    "body",
    "status",
    "moderation_flags",
    "status_reason",
    "counted_rating",
    "open_report_count",
    "edited_at",
    "published_at",
    "updated_at",
]


# --- reviews -----------------------------------------------------------------------------


def review_create(
    *,
    author_user_id: UUID,
    subject_type: str,
    subject_id: UUID,
    rating: object,
    title: object,
    body: object,
) -> Review:
    """Write the author's review of a subject: published, or pending when the automatic
    check flags it. 403 ``purchase_required`` without a delivered purchase (unless
    ``REVIEWS_ALLOW_UNVERIFIED``), 403 ``own_subject`` for the subject's own vendor,
    409 ``already_reviewed`` for a second review of the same subject."""
    clean_rating = rating_clean(rating)
    clean_title = text_clean(title, field="title", min_length=1, max_length=TITLE_MAX)
    clean_body = text_clean(body, field="body", min_length=BODY_MIN, max_length=BODY_MAX)
    subject = subject_resolve(subject_type=subject_type, subject_id=subject_id)
    membership = vendors.vendor_membership_for_user(user_id=author_user_id)
    if membership is not None and membership.vendor_id == subject.owner_vendor_id:
        raise ForbiddenError(
            "A vendor's own people cannot review what the vendor sells.", code="own_subject"
        )
    verified = _has_delivered_purchase(user_id=author_user_id, subject=subject)
    if not verified and not settings.REVIEWS_ALLOW_UNVERIFIED:
        raise ForbiddenError(
            f"Only customers who received a delivered order from this {subject_type} "
            "can review it.",
            code="purchase_required",
        )
    review = Review(
        subject_type=subject.subject_type,
        subject_id=subject.subject_id,
        owner_vendor_id=subject.owner_vendor_id,
        author_user_id=author_user_id,
        rating=clean_rating,
        title=clean_title,
        body=clean_body,
        verified_purchase=verified,
        status=ReviewStatus.PENDING,
    )
    try:
        with transaction.atomic():
            review.moderation_flags = _flags_for(review, count_rate=True)
            if not review.moderation_flags:
                review.status = ReviewStatus.PUBLISHED
                review.published_at = timezone.now()
                _count(review)
            review.save(force_insert=True)
    except IntegrityError:
        raise ConflictError(
            f"You have already reviewed this {subject_type}; edit that review instead.",
            code="already_reviewed",
        ) from None
    return review


def review_update(
    *,
    review_id: UUID,
    author_user_id: UUID,
    rating: object = None,
    title: object = None,
    body: object = None,
) -> Review:
    """Edit one's own review, keeping the previous version in its history. The edit goes
    through the automatic check again: flagged, a published review returns to pending."""
    with transaction.atomic():
        review = _lock(review_id)
        if review.author_user_id != author_user_id:
            raise ForbiddenError("Only its author can edit a review.", code="not_author")
        if review.status in (ReviewStatus.REJECTED, ReviewStatus.REMOVED):
            raise ConflictError(
                "A rejected or removed review cannot be edited.", code="review_not_editable"
            )
        new_rating = review.rating if rating is None else rating_clean(rating)
        new_title = (
            review.title
            if title is None
            else text_clean(title, field="title", min_length=1, max_length=TITLE_MAX)
        )
        new_body = (
            review.body
            if body is None
            else text_clean(body, field="body", min_length=BODY_MIN, max_length=BODY_MAX)
        )
        if (new_rating, new_title, new_body) == (review.rating, review.title, review.body):
            return review
        ReviewRevision.objects.create(
            review=review, rating=review.rating, title=review.title, body=review.body
        )
        review.rating, review.title, review.body = new_rating, new_title, new_body
        review.edited_at = timezone.now()
        review.moderation_flags = _flags_for(review, count_rate=False)
        if review.moderation_flags:
            review.status = ReviewStatus.PENDING
            _uncount(review)
        else:
            if review.status != ReviewStatus.PUBLISHED:
                review.status = ReviewStatus.PUBLISHED
                review.published_at = timezone.now()
            _count(review)
        review.save(update_fields=_SAVED)
    return review


def review_delete(*, review_id: UUID, author_user_id: UUID) -> None:
    """The author deletes their review (vendors and other customers cannot). Kept as
    ``deleted`` for the moderation record; the author may then review the subject again."""
    with transaction.atomic():
        review = _lock(review_id)
        if review.author_user_id != author_user_id:
            raise ForbiddenError("Only its author can delete a review.", code="not_author")
        _uncount(review)
        _resolve_reports(review)
        review.status = ReviewStatus.DELETED
        review.save(update_fields=_SAVED)


# --- staff moderation --------------------------------------------------------------------


def review_approve(*, review_id: UUID) -> Review:
    """Staff publish a pending review, or keep a reported one (closing its reports)."""
    with transaction.atomic():
        review = _lock(review_id)
        if review.status not in (ReviewStatus.PENDING, ReviewStatus.PUBLISHED):
            raise ConflictError(
                f"A {review.status} review cannot be approved.", code="invalid_transition"
            )
        if review.status == ReviewStatus.PENDING:
            review.status = ReviewStatus.PUBLISHED
            review.published_at = timezone.now()
            review.status_reason = ""
            _count(review)
        _resolve_reports(review)
        review.save(update_fields=_SAVED)
    return review


def review_reject(*, review_id: UUID, reason: str) -> Review:
    """Staff refuse a pending review; the author is told why (``reviews.review_rejected``)."""
    clean_reason = text_clean(reason, field="reason", min_length=1, max_length=REASON_MAX)
    with transaction.atomic():
        review = _lock(review_id)
        if review.status != ReviewStatus.PENDING:
            raise ConflictError(
                "Only a pending review can be rejected; remove a published one.",
                code="invalid_transition",
            )
        review.status = ReviewStatus.REJECTED
        review.status_reason = clean_reason
        _resolve_reports(review)
        review.save(update_fields=_SAVED)
        publish(
            ReviewRejected(
                review_id=review.pk, author_user_id=review.author_user_id, reason=clean_reason
            )
        )
    return review


def review_remove(*, review_id: UUID, reason: str = "") -> Review:
    """Staff take down a review (published or pending), closing its reports."""
    with transaction.atomic():
        review = _lock(review_id)
        if review.status not in (ReviewStatus.PENDING, ReviewStatus.PUBLISHED):
            raise ConflictError(
                f"A {review.status} review cannot be removed.", code="invalid_transition"
            )
        _uncount(review)
        _resolve_reports(review)
        review.status = ReviewStatus.REMOVED
        review.status_reason = reason.strip()[:REASON_MAX]
        review.save(update_fields=_SAVED)
    return review


# --- photos ------------------------------------------------------------------------------

_FORMATS = {"JPEG": ReviewPhoto.Format.JPEG, "PNG": ReviewPhoto.Format.PNG,
            "WEBP": ReviewPhoto.Format.WEBP}  # fmt: skip


def _photo_error(message: str, code: str, status_code: int = 400) -> ApplicationError:
    return ApplicationError(
        message, code=code, status_code=status_code, fields={"photo": [message]}
    )


def photo_check(*, data: bytes) -> tuple[str, int, int, bytes]:
    """Format, size and re-encoded bytes (metadata dropped) of an upload that proved to be
    a JPEG, PNG or WebP image within the limits. The declared name and type are ignored."""
    max_bytes: int = settings.REVIEWS_PHOTO_MAX_BYTES
    if len(data) > max_bytes:
        raise _photo_error(
            f"The photo is larger than {max_bytes // 1024} KiB.", "photo_too_large", 413
        )
    if not data:
        raise _photo_error("The file is empty.", "not_an_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = _FORMATS.get(probe.format or "")
                if fmt is None:
                    raise _photo_error(
                        "Upload a JPEG, PNG or WebP photo.", "unsupported_image_type"
                    )
                if probe.size[0] * probe.size[1] > settings.REVIEWS_PHOTO_MAX_PIXELS:
                    raise _photo_error("The photo has too many pixels.", "photo_too_large", 413)
                probe.verify()
            with Image.open(io.BytesIO(data)) as source:
                source.load()
                image = ImageOps.exif_transpose(source) or source
                out = io.BytesIO()
                if fmt == ReviewPhoto.Format.JPEG:
                    image.convert("RGB").save(out, "JPEG", quality=88)
                elif fmt == ReviewPhoto.Format.PNG:
                    image.save(out, "PNG", optimize=True)
                else:
                    image.save(out, "WEBP", quality=88)
                width, height = image.size
    except ApplicationError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ):
        raise _photo_error(
            "The file is not a readable JPEG, PNG or WebP image.", "not_an_image"
        ) from None
    return fmt, width, height, out.getvalue()


def review_photo_add(*, review_id: UUID, author_user_id: UUID, file: IO[bytes]) -> ReviewPhoto:
    """Attach a photo to one's own review (at most ``MAX_PHOTOS``)."""
    file.seek(0)
    fmt, width, height, content = photo_check(data=file.read(settings.REVIEWS_PHOTO_MAX_BYTES + 1))
    with transaction.atomic():
        review = _lock(review_id)
        if review.author_user_id != author_user_id:
            raise ForbiddenError("Only its author can add photos to a review.", code="not_author")
        existing = review.photos.count()
        if existing >= MAX_PHOTOS:
            raise ConflictError(
                f"A review has at most {MAX_PHOTOS} photos.", code="too_many_photos"
            )
        photo = ReviewPhoto(
            review=review,
            format=fmt,
            width=width,
            height=height,
            size_bytes=len(content),
            position=existing,
        )
        photo.image.save(f"{photo.pk}.{fmt}", ContentFile(content), save=False)
        photo.save(force_insert=True)
    return photo


def review_photo_delete(*, review_id: UUID, photo_id: UUID, author_user_id: UUID) -> None:
    with transaction.atomic():
        review = _lock(review_id)
        if review.author_user_id != author_user_id:
            raise ForbiddenError("Only its author can remove photos.", code="not_author")
        photo = review.photos.filter(pk=photo_id).first()
        if photo is None:
            raise NotFoundError("No such photo.")
        name, storage = photo.image.name, photo.image.storage
        photo.delete()
        if name:
            # The file goes only once the row is gone for good (a rollback keeps both).
            transaction.on_commit(lambda: storage.delete(name))


# --- replies, votes, reports -------------------------------------------------------------


def review_reply(*, review_id: UUID, user_id: UUID, body: object) -> ReviewReply:
    """The vendor owning the subject (now, per the catalog and vendors facades) answers a
    published review once. 403 ``not_subject_owner`` for anyone else."""
    clean_body = text_clean(body, field="body", min_length=1, max_length=REPLY_MAX)
    membership = vendors.vendor_membership_for_user(user_id=user_id)
    if membership is None or membership.role not in REPLY_ROLES:
        raise ForbiddenError(
            "Only the owner or a manager of a vendor can reply to reviews.", code="not_vendor"
        )
    with transaction.atomic():
        review = _lock(review_id)
        if review.status != ReviewStatus.PUBLISHED:
            raise NotFoundError("No such review.")
        owner = subject_resolve(subject_type=review.subject_type, subject_id=review.subject_id)
        if owner.owner_vendor_id != membership.vendor_id:
            raise ForbiddenError(
                "Only the vendor owning the reviewed product, store or vendor can reply.",
                code="not_subject_owner",
            )
        if ReviewReply.objects.filter(review=review).exists():
            raise ConflictError("This review already has a reply.", code="already_replied")
        reply = ReviewReply.objects.create(
            review=review, vendor_id=membership.vendor_id, author_user_id=user_id, body=clean_body
        )
        publish(
            ReviewReplied(
                review_id=review.pk,
                author_user_id=review.author_user_id,
                vendor_id=membership.vendor_id,
            )
        )
    return reply


def _published_for_other(review_id: UUID, user_id: UUID, *, action: str) -> Review:
    review = _lock(review_id)
    if review.status != ReviewStatus.PUBLISHED:
        raise NotFoundError("No such review.")
    if review.author_user_id == user_id:
        raise ForbiddenError(f"You cannot {action} your own review.", code="own_review")
    return review


def review_vote_helpful(*, review_id: UUID, voter_user_id: UUID) -> Review:
    """One helpful vote per customer per review, never on one's own (409 ``already_voted``)."""
    with transaction.atomic():
        review = _published_for_other(review_id, voter_user_id, action="vote on")
        _, created = HelpfulVote.objects.get_or_create(review=review, voter_user_id=voter_user_id)
        if not created:
            raise ConflictError("You already found this review helpful.", code="already_voted")
        Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") + 1)
        review.helpful_count += 1
    return review


def review_vote_withdraw(*, review_id: UUID, voter_user_id: UUID) -> Review:
    with transaction.atomic():
        review = _lock(review_id)
        deleted, _ = HelpfulVote.objects.filter(review=review, voter_user_id=voter_user_id).delete()
        if not deleted:
            raise NotFoundError("You have not voted on this review.", code="no_vote")
        Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") - 1)
        review.helpful_count -= 1
    return review


def review_report(
    *, review_id: UUID, reporter_user_id: UUID, reason: object, note: object = ""
) -> ReviewReport:
    """A customer flags a published review for staff (it stays visible until staff act)."""
    if reason not in ReportReason.values:
        message = f"The reason must be one of: {', '.join(ReportReason.values)}."
        raise ApplicationError(message, code="invalid_reason", fields={"reason": [message]})
    clean_note = text_clean(note, field="note", min_length=0, max_length=REASON_MAX) if note else ""
    with transaction.atomic():
        review = _published_for_other(review_id, reporter_user_id, action="report")
        _, created = ReviewReport.objects.get_or_create(
            review=review,
            reporter_user_id=reporter_user_id,
            defaults={"reason": reason, "note": clean_note},
        )
        if not created:
            raise ConflictError("You already reported this review.", code="already_reported")
        Review.objects.filter(pk=review.pk).update(open_report_count=F("open_report_count") + 1)
        report: ReviewReport = review.reports.get(reporter_user_id=reporter_user_id)
    return report


# --- aggregates --------------------------------------------------------------------------


def _summary_event(aggregate: RatingAggregate) -> RatingSummaryChanged:
    return RatingSummaryChanged(
        subject_type=aggregate.subject_type,
        subject_id=aggregate.subject_id,
        average=aggregate.average,
        count=aggregate.count,
        distribution=aggregate.distribution(),
    )


def rating_aggregate_apply(
    *, subject_type: str, subject_id: UUID, add: int | None = None, remove: int | None = None
) -> RatingAggregate:
    """Move one rating into (``add``) and/or out of (``remove``) a subject's aggregate and
    publish the new summary. Called once per review event (the inbox sees to that)."""
    with transaction.atomic():
        aggregate, _ = RatingAggregate.objects.select_for_update().get_or_create(
            subject_type=subject_type, subject_id=subject_id
        )
        for rating, step in ((remove, -1), (add, 1)):
            if rating is None:
                continue
            aggregate.count += step
            aggregate.rating_sum += step * rating
            field = f"count_{rating}"
            setattr(aggregate, field, getattr(aggregate, field) + step)
        aggregate.save()
        publish(_summary_event(aggregate))
    return aggregate


def rating_aggregate_recompute(*, subject_type: str, subject_id: UUID) -> bool:
    """Rebuild one subject's aggregate from its published reviews; publish the summary
    only when it differs from what was stored (then True).

    Run it with the outbox drained: an event still on its way would be applied on top."""
    with transaction.atomic():
        aggregate, _ = RatingAggregate.objects.select_for_update().get_or_create(
            subject_type=subject_type, subject_id=subject_id
        )
        before = (aggregate.count, aggregate.rating_sum, aggregate.distribution())
        counts = dict.fromkeys(range(1, 6), 0)
        for rating in Review.objects.filter(
            subject_type=subject_type, subject_id=subject_id, status=ReviewStatus.PUBLISHED
        ).values_list("rating", flat=True):
            counts[rating] += 1
        for rating, n in counts.items():
            setattr(aggregate, f"count_{rating}", n)
        aggregate.count = sum(counts.values())
        aggregate.rating_sum = sum(r * n for r, n in counts.items())
        changed = (aggregate.count, aggregate.rating_sum, aggregate.distribution()) != before
        if changed:
            aggregate.save()
            publish(_summary_event(aggregate))
    return changed
