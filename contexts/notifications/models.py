"""Notifications: messages, their per-channel deliveries (and every attempt), the
in-app inbox, and each user's contact preferences.

A *notification* is one message to one recipient, with a body per channel (plain text
for SMS, HTML for in-app, e-mail-safe HTML plus a text part for e-mail). It fans out
into one *delivery* per channel; each try of a delivery is a *delivery attempt* row
holding the provider's answer. The in-app channel also writes an *inbox item*, the
row the recipient lists, reads and marks read.

Users are referenced by UUID only (they live in the auth context).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    IN_APP = "in_app", "In-app"
    EMAIL = "email", "E-mail"


class Category(models.TextChoices):
    ORDERS = "orders", "Orders"
    ACCOUNT = "account", "Account"
    MARKETING = "marketing", "Marketing"
    VENDOR_OPERATIONS = "vendor_operations", "Vendor operations"
    # Password resets, new log-ins, deactivation: always delivered, not switchable.
    SECURITY = "security", "Security"


class Notification(models.Model):
    """One message to one recipient, as accepted (or rejected) by this context."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        # Bad input (no recipient, malformed phone, template error on every channel...):
        # kept with the reason so staff can see it; nothing is sent.
        REJECTED = "rejected", "Rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The event (or ``notifications.send_requested`` command) this message answers:
    # with ``kind`` and the recipient it makes the message idempotent.
    source_event_id = models.UUIDField()
    source = models.CharField(max_length=120, help_text="Event type that produced it.")
    kind = models.CharField(max_length=80)
    category = models.CharField(max_length=24, choices=Category.choices)
    recipient_user_id = models.UUIDField(null=True, blank=True, db_index=True)
    recipient_key = models.CharField(
        max_length=254, help_text="User id, else e-mail address, else phone number."
    )
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=16, blank=True)
    locale = models.CharField(max_length=10, blank=True)
    link = models.CharField(max_length=500, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    email_html = models.TextField(blank=True)
    email_text = models.TextField(blank=True)
    sms_text = models.TextField(blank=True)
    in_app_html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACCEPTED)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_event_id", "kind", "recipient_key"],
                name="notification_source_kind_recipient_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.recipient_key}"


class Delivery(models.Model):
    """One channel of one notification, to one address."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed permanently"
        SKIPPED = "skipped", "Skipped"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    # Denormalised from the notification for the idempotency constraint below.
    source_event_id = models.UUIDField()
    kind = models.CharField(max_length=80)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(
        max_length=254, help_text="In-app: user id; e-mail: address; SMS: E.164 number."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    status_reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Attempts allowed before giving up; a staff retry adds another round.
    max_attempts = models.PositiveIntegerField(default=5)
    last_error = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=120, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["source_event_id", "kind", "channel", "recipient"],
                name="delivery_event_channel_recipient_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient} ({self.status})"


class DeliveryAttempt(models.Model):
    """Every try of a delivery, with what the provider answered."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        TRANSIENT_ERROR = "transient_error", "Transient error (retried)"
        PERMANENT_ERROR = "permanent_error", "Permanent error"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    provider = models.CharField(max_length=60)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    response = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    retry_in_seconds = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="attempt_delivery_number_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.outcome}"


class InboxItem(models.Model):
    """An in-app notification in a user's inbox."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField()
    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, related_name="inbox_item"
    )
    kind = models.CharField(max_length=80)
    category = models.CharField(max_length=24, choices=Category.choices)
    body_html = models.TextField()
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user_id", "-created_at"], name="inbox_user_created_idx"),
            models.Index(
                fields=["user_id"],
                name="inbox_user_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class ChannelPreference(models.Model):
    """A user's explicit choice for one (category, channel); absent = the default."""

    user_id = models.UUIDField()
    category = models.CharField(max_length=24, choices=Category.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    enabled = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "category", "channel"], name="preference_user_category_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.category}/{self.channel}={self.enabled}"


class RecipientSettings(models.Model):
    """Per-user contact settings this context owns: the language messages are written
    in and the number SMS go to (the auth context keeps neither)."""

    user_id = models.UUIDField(primary_key=True)
    locale = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=16, blank=True, help_text="E.164, e.g. +447700900123")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "recipient settings"

    def __str__(self) -> str:
        return str(self.user_id)
