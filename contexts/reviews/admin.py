"""Staff moderation of reviews (``/admin/reviews/``).

Reviews are read-only here except for the moderation decision: approve (publish a
pending review, or keep a reported one), reject with a reason (pending only; the
author is told) or remove. Each decision goes through the services, so events and
aggregates follow exactly as from the API. "Reported" filters the reports queue.
Nobody deletes reviews here: authors delete their own, staff remove.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from bazaar_platform.api.errors import ApplicationError
from contexts.reviews import services
from contexts.reviews.models import RatingAggregate, Review, ReviewReport, ReviewStatus

DECISIONS = [
    ("", "— no change —"),
    ("approve", "Approve (publish / keep and close reports)"),
    ("reject", "Reject (pending only; reason required)"),
    ("remove", "Remove"),
]


class ReportedFilter(admin.SimpleListFilter):
    title = "reports"
    parameter_name = "reported"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Open reports (queue)"), ("no", "No open reports")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(open_report_count__gt=0).order_by("-open_report_count")
        if self.value() == "no":
            return queryset.filter(open_report_count=0)
        return queryset


class ReviewReportInline(admin.TabularInline):
    model = ReviewReport
    extra = 0
    fields = ("reason", "note", "reporter_user_id", "status", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ModerationForm(forms.ModelForm):
    decision = forms.ChoiceField(choices=DECISIONS, required=False)
    reason = forms.CharField(
        required=False,
        max_length=services.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to the author when rejecting.",
    )

    class Meta:
        model = Review
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            raise ValidationError({"reason": "A rejection needs a reason for the author."})
        return data


def _apply(decision: str, review: Review, reason: str) -> None:
    if decision == "approve":
        services.review_approve(review_id=review.pk)
    elif decision == "reject":
        services.review_reject(review_id=review.pk, reason=reason)
    elif decision == "remove":
        services.review_remove(review_id=review.pk, reason=reason)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    form = ModerationForm
    list_display = (
        "title",
        "subject_type",
        "rating",
        "status",
        "verified_purchase",
        "open_report_count",
        "helpful_count",
        "created_at",
    )
    list_filter = ("status", ReportedFilter, "subject_type", "verified_purchase", "rating")
    search_fields = ("title", "body", "subject_id", "author_user_id")
    readonly_fields = (
        "subject_type",
        "subject_id",
        "owner_vendor_id",
        "author_user_id",
        "rating",
        "title",
        "body",
        "status",
        "moderation_flags",
        "status_reason",
        "verified_purchase",
        "helpful_count",
        "open_report_count",
        "created_at",
        "edited_at",
        "published_at",
    )
    fields = (*readonly_fields, "decision", "reason")
    inlines = [ReviewReportInline]
    actions = ["approve_selected", "remove_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Review, form: Any, change: bool) -> None:
        decision = form.cleaned_data.get("decision") or ""
        try:
            _apply(decision, obj, form.cleaned_data.get("reason") or "")
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing to save: the reports inline is read-only."""

    def _bulk(self, request: HttpRequest, queryset: QuerySet[Review], decision: str) -> None:
        done = 0
        for review in queryset:
            try:
                _apply(decision, review, "")
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{review}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} review(s): {decision} done.")

    @admin.action(description="Approve (publish pending, keep reported)")
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._bulk(request, queryset, "approve")

    @admin.action(description="Remove selected reviews")
    def remove_selected(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._bulk(request, queryset.exclude(status=ReviewStatus.DELETED), "remove")


@admin.register(RatingAggregate)
class RatingAggregateAdmin(admin.ModelAdmin):
    list_display = ("subject_type", "subject_id", "count", "average", "updated_at")
    list_filter = ("subject_type",)
    search_fields = ("subject_id",)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [f.name for f in RatingAggregate._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
