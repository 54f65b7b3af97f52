"""Outbox, inbox and dead-letter store: the event platform's own tables."""

from __future__ import annotations

import uuid

from django.db import models


class OutboxMessage(models.Model):
    """An event written in the same transaction as the state change that caused it.

    The outbox is also the event log: replay re-dispatches from here for any transport.
    """

    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=120, db_index=True)
    version = models.PositiveSmallIntegerField(default=1)
    producer = models.CharField(max_length=60)
    aggregate_id = models.CharField(max_length=120)
    message = models.JSONField()
    headers = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"],
                name="outbox_pending_idx",
                condition=models.Q(dispatched_at__isnull=True),
            ),
            models.Index(fields=["aggregate_id", "id"], name="outbox_aggregate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class InboxRecord(models.Model):
    """``(event_id, handler)`` seen: a redelivered event is applied once."""

    event_id = models.UUIDField()
    handler = models.CharField(max_length=160)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event_id", "handler"], name="inbox_event_handler_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.handler} <- {self.event_id}"


class DeadLetter(models.Model):
    """A message or a handler run that could not succeed, kept with its reason."""

    class Reason(models.TextChoices):
        MALFORMED_MESSAGE = "malformed_message"
        UNKNOWN_EVENT_TYPE = "unknown_event_type"
        INVALID_PAYLOAD = "invalid_payload"
        UNKNOWN_HANDLER = "unknown_handler"
        HANDLER_FAILED = "handler_failed"

    class Status(models.TextChoices):
        PENDING = "pending"
        REPLAYED = "replayed"
        DISCARDED = "discarded"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_id = models.UUIDField(null=True, blank=True, db_index=True)
    event_type = models.CharField(max_length=120, blank=True)
    handler = models.CharField(max_length=160, blank=True)
    context = models.CharField(
        max_length=60,
        blank=True,
        help_text="The consuming context, when no single handler was chosen.",
    )
    transport = models.CharField(max_length=30)
    reason = models.CharField(max_length=40, choices=Reason.choices)
    error = models.TextField()
    raw = models.TextField(help_text="The message as received, verbatim.")
    attempts = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="deadletter_status_idx")]

    def __str__(self) -> str:
        return f"{self.reason}: {self.event_type or '?'} -> {self.handler or self.context or '?'}"
