"""One attempt at one delivery, logged whatever happens.

The Celery task ``notifications.deliver`` calls :func:`delivery_attempt` and, when it
says so, retries after ``retry_in`` seconds (exponential backoff). Outcomes:

* success: the delivery is ``sent`` (with the provider's message id);
* permanent error (a refused address, an invalid number, bad credentials): ``failed``
  at once, visible to staff in the admin (who can retry it after fixing the cause);
* transient error (timeouts, 4xx SMTP replies, 5xx/429 from Twilio, the channel layer
  down): retried until ``max_attempts``, then ``failed``.

The row is locked for the attempt, so two workers holding the same task (a
redelivered message) cannot send twice, and a delivery that is no longer pending is
left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contexts.notifications import selectors
from contexts.notifications.models import Channel, Delivery, DeliveryAttempt
from contexts.notifications.services.email import send_email
from contexts.notifications.services.messages import enqueue_deliveries
from contexts.notifications.services.providers import ProviderError, SendResult, get_sms_provider
from contexts.notifications.services.push import MSG_CREATED, push_to_user, user_group

log = structlog.get_logger("bazaar.notifications.delivery")


@dataclass(frozen=True)
class AttemptResult:
    status: str  # the delivery's status afterwards, or "missing" / "not_due"
    retry_in: float | None = None  # seconds until the next attempt, when one is due


def backoff_seconds(attempt: int) -> float:
    """Wait after failed attempt ``attempt`` (1-based): base, 2*base, 4*base ... capped."""
    base = float(settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS)
    return float(min(settings.NOTIFICATIONS_RETRY_BACKOFF_MAX_SECONDS, base * 2 ** (attempt - 1)))


def _send_in_app(delivery: Delivery) -> tuple[str, SendResult]:
    notification = delivery.notification
    user_id = UUID(delivery.recipient)
    item = getattr(notification, "inbox_item", None)
    if item is None:
        raise ProviderError("the inbox item is missing", permanent=True)
    unread = selectors.unread_count(user_id=user_id)
    try:
        push_to_user(
            user_id,
            {
                "type": MSG_CREATED,
                "item": selectors.inbox_item_data(item),
                "unread_count": unread,
            },
        )
    except Exception as exc:
        raise ProviderError(
            f"channel layer: {type(exc).__name__}: {exc}",
            permanent=False,
            response={"error": type(exc).__name__},
        ) from exc
    return "channels", SendResult(
        message_id=str(item.pk), response={"group": user_group(user_id), "unread_count": unread}
    )


def _send(delivery: Delivery) -> tuple[str, SendResult]:
    notification = delivery.notification
    if delivery.channel == Channel.IN_APP:
        return _send_in_app(delivery)
    if delivery.channel == Channel.EMAIL:
        return "email", send_email(
            to=delivery.recipient,
            subject=notification.subject,
            text=notification.email_text,
            html=notification.email_html,
        )
    provider = get_sms_provider()
    return provider.name, provider.send(to=delivery.recipient, body=notification.sms_text)


def _provider_name(channel: str) -> str:
    if channel == Channel.SMS:
        return str(settings.SMS_BACKEND)
    return "channels" if channel == Channel.IN_APP else "email"


def delivery_attempt(*, delivery_id: UUID, respect_schedule: bool = True) -> AttemptResult:
    """Try ``delivery_id`` once (if it is pending and due) and log the attempt.

    ``respect_schedule=False`` (eager tasks, which Celery retries immediately) tries
    even when the backoff has not elapsed yet."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("notification", "notification__inbox_item")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return AttemptResult("missing")
        if delivery.status != Delivery.Status.PENDING:
            return AttemptResult(delivery.status)
        now = timezone.now()
        if (
            respect_schedule
            and delivery.next_attempt_at is not None
            and delivery.next_attempt_at > now + timedelta(seconds=1)
        ):
            # A retry is already scheduled for later (this is a duplicate or a sweep).
            return AttemptResult("not_due")
        number = delivery.attempts + 1
        provider = _provider_name(delivery.channel)
        response: dict[str, Any] = {}
        error = ""
        retry_in: float | None = None
        try:
            provider, result = _send(delivery)
        except ProviderError as exc:
            response, error = exc.response, str(exc)[:5000]
            if exc.permanent:
                outcome = DeliveryAttempt.Outcome.PERMANENT_ERROR
                delivery.status = Delivery.Status.FAILED
                delivery.status_reason = "rejected_by_provider"
            else:
                outcome = DeliveryAttempt.Outcome.TRANSIENT_ERROR
        except Exception as exc:  # a bug or an unexpected library error: retry, but log loudly
            log.exception("notification_delivery_crashed", delivery_id=str(delivery.pk))
            outcome = DeliveryAttempt.Outcome.TRANSIENT_ERROR
            error = f"{type(exc).__name__}: {exc}"[:5000]
        else:
            outcome = DeliveryAttempt.Outcome.SUCCESS
            response = result.response
            delivery.status = Delivery.Status.SENT
            delivery.status_reason = ""
            delivery.provider_message_id = result.message_id[:120]
            delivery.sent_at = timezone.now()
        if outcome == DeliveryAttempt.Outcome.TRANSIENT_ERROR:
            if number >= delivery.max_attempts:
                delivery.status = Delivery.Status.FAILED
                delivery.status_reason = f"gave_up_after_{number}_attempts"
            else:
                retry_in = backoff_seconds(number)
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=number,
            provider=provider[:60],
            outcome=outcome,
            response=response,
            error=error,
            retry_in_seconds=retry_in,
            started_at=now,
            finished_at=timezone.now(),
        )
        delivery.attempts = number
        delivery.last_error = error
        delivery.next_attempt_at = now + timedelta(seconds=retry_in) if retry_in else None
        delivery.save(
            update_fields=[
                "status",
                "status_reason",
                "attempts",
                "last_error",
                "provider_message_id",
                "next_attempt_at",
                "sent_at",
                "updated_at",
            ]
        )
    log.info(
        "notification_delivery_attempt",
        delivery_id=str(delivery.pk),
        channel=delivery.channel,
        attempt=number,
        outcome=outcome,
        status=delivery.status,
        retry_in=retry_in,
    )
    return AttemptResult(delivery.status, retry_in)


def delivery_retry(*, delivery_id: UUID) -> bool:
    """Staff: give a failed delivery another round of attempts. False if it is not failed."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.status != Delivery.Status.FAILED:
            return False
        if delivery.status_reason in {
            "template_error",
            "empty_body",
            "sms_too_long",
            "invalid_phone",
        }:
            return False  # nothing a resend can fix: the message itself is wrong
        delivery.status = Delivery.Status.PENDING
        delivery.status_reason = "retried_by_staff"
        delivery.max_attempts = delivery.attempts + int(settings.NOTIFICATIONS_MAX_ATTEMPTS)
        delivery.next_attempt_at = None
        delivery.save(
            update_fields=[
                "status",
                "status_reason",
                "max_attempts",
                "next_attempt_at",
                "updated_at",
            ]
        )
        transaction.on_commit(partial(enqueue_deliveries, [delivery.pk]))
    return True


def deliveries_resend_stuck(*, older_than_seconds: int = 600, limit: int = 500) -> int:
    """Sweep (Celery beat): pending deliveries whose task was lost (a broker refusal at
    enqueue time, a purged queue) are enqueued again. Due retries only: a delivery with
    a retry scheduled in the future is left to that retry."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    stuck = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, updated_at__lt=cutoff)
        .exclude(next_attempt_at__gt=now)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    enqueue_deliveries(stuck)
    return len(stuck)
