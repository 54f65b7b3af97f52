"""Accepting a message: validation, idempotency, per-channel deliveries, the inbox item.

Every way in ends here: the ``notifications.send_requested`` command (bodies given
by the sender) and the reactions to other contexts' events (bodies rendered from
templates). A message is stored once per ``(source_event_id, kind, recipient)`` and
each delivery once per ``(source_event_id, kind, channel, address)``, so a redelivered
event or command never sends twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from html import unescape
from uuid import UUID

import structlog
from celery import current_app
from celery.app.routes import Router
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.html import strip_tags

from bazaar_platform.api.errors import ApplicationError
from contexts.notifications import selectors
from contexts.notifications.models import (
    Category,
    Channel,
    Delivery,
    InboxItem,
    Notification,
)
from contexts.notifications.services.rendering import Bodies
from contexts.notifications.services.sms_text import is_e164, split_sms

log = structlog.get_logger("bazaar.notifications")

DELIVER_TASK = "notifications.deliver"
CHANNEL_ORDER = (Channel.IN_APP, Channel.EMAIL, Channel.SMS)
_KIND = re.compile(r"[a-z0-9][a-z0-9_.-]{0,79}")
MAX_SUBJECT = 200
MAX_BODY = 100_000


@dataclass(frozen=True)
class Recipient:
    """Who a message is for: a user (in-app needs one), an address, a number, or several."""

    user_id: UUID | None = None
    email: str = ""
    phone: str = ""
    locale: str = ""
    name: str = ""

    @property
    def key(self) -> str:
        return str(self.user_id) if self.user_id else (self.email or self.phone)


class MessageRejectedError(ApplicationError):
    status_code = 400
    code = "invalid_notification"


def _known_channels(channels: Iterable[str]) -> tuple[list[str], list[str]]:
    known: list[str] = []
    unknown: list[str] = []
    for channel in channels:
        (known if channel in Channel.values else unknown).append(str(channel))
    return list(dict.fromkeys(known)), unknown


def link_valid(link: str) -> bool:
    if not link:
        return True
    if len(link) > 500 or any(ch.isspace() for ch in link):
        return False
    if link.startswith("/") and not link.startswith("//"):
        return True
    return link.startswith(("https://", "http://")) and len(link) > 8


def message_validate(
    *,
    recipient: Recipient,
    channels: Sequence[str],
    bodies: Bodies,
    kind: str,
    category: str,
    link: str,
) -> dict[str, list[str]]:
    """Field errors of a message whose bodies the sender wrote (empty dict: valid)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not isinstance(channels, (list, tuple)) or not channels:
        add("channels", "Choose at least one channel: email, in_app, sms.")
        channels = []
    known, unknown = _known_channels(channels)
    for name in unknown:
        add("channels", f"Unknown channel {name[:20]!r}; use email, in_app or sms.")
    if category not in Category.values:
        add("category", f"Unknown category {str(category)[:30]!r}; one of {Category.values}.")
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        add("kind", "Lower-case letters, digits, '_', '.', '-'; at most 80 characters.")
    if not link_valid(link):
        add("link", "A path starting with '/' or an http(s) URL, at most 500 characters.")
    if recipient.user_id is None and not recipient.email and not recipient.phone:
        add("recipient", "Give a recipient: a user id, an e-mail address or a phone number.")
    if recipient.email:
        try:
            validate_email(recipient.email)
        except DjangoValidationError:
            add("email", "Not a valid e-mail address.")
    if recipient.phone and not is_e164(recipient.phone):
        add("phone", "Not an E.164 number ('+' and 2 to 15 digits, no spaces), e.g. +447700900123.")

    if Channel.IN_APP in known:
        if recipient.user_id is None:
            add("recipient_user_id", "The in_app channel needs the recipient's user id.")
        if not bodies.in_app_html.strip():
            add("in_app_body", "Required for the in_app channel.")
    if Channel.EMAIL in known:
        if not recipient.email:
            add("email", "Required for the email channel.")
        if not bodies.subject.strip():
            add("email_subject", "Required for the email channel.")
        elif len(bodies.subject) > MAX_SUBJECT:
            add("email_subject", f"At most {MAX_SUBJECT} characters.")
        if not bodies.email_html.strip():
            add("email_body", "Required for the email channel.")
    if Channel.SMS in known:
        if not recipient.phone:
            add("phone", "Required for the sms channel.")
        if not bodies.sms_text.strip():
            add("sms_body", "Required for the sms channel.")
        else:
            sms_error = sms_too_long(bodies.sms_text)
            if sms_error:
                add("sms_body", sms_error)
    for name, value in (
        ("in_app_body", bodies.in_app_html),
        ("email_body", bodies.email_html),
        ("email_text", bodies.email_text),
    ):
        if len(value) > MAX_BODY:
            add(name, f"At most {MAX_BODY} characters.")
    return errors


def sms_too_long(text: str) -> str:
    split = split_sms(text)
    limit = int(settings.NOTIFICATIONS_SMS_MAX_SEGMENTS)
    if split.segments > limit:
        return (
            f"{split.segments} SMS parts ({split.encoding}, {split.units} units); "
            f"at most {limit} are sent."
        )
    return ""


def text_from_html(html: str) -> str:
    """A plain-text alternative for an HTML e-mail the sender gave without one."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</h[1-6]>", "\n", html)
    text = unescape(strip_tags(text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _existing(source_event_id: UUID, kind: str, recipient_key: str) -> Notification | None:
    return Notification.objects.filter(
        source_event_id=source_event_id, kind=kind, recipient_key=recipient_key
    ).first()


def _address(channel: str, recipient: Recipient) -> str:
    if channel == Channel.IN_APP:
        return str(recipient.user_id) if recipient.user_id else ""
    if channel == Channel.EMAIL:
        return recipient.email
    return recipient.phone


def _plan(
    channel: str,
    *,
    recipient: Recipient,
    category: str,
    bodies: Bodies,
    render_errors: Mapping[str, str],
) -> tuple[str, str, str]:
    """(status, reason, error) a new delivery starts with."""
    if channel in render_errors:
        return Delivery.Status.FAILED, "template_error", render_errors[channel]
    if not _address(channel, recipient):
        return Delivery.Status.SKIPPED, "no_address", ""
    if channel == Channel.SMS and not is_e164(recipient.phone):
        return Delivery.Status.FAILED, "invalid_phone", f"{recipient.phone[:20]!r} is not E.164"
    if recipient.user_id is not None and not selectors.channel_enabled(
        user_id=recipient.user_id, category=category, channel=channel
    ):
        return Delivery.Status.SKIPPED, "preference_off", ""
    body = bodies.for_channel(channel)
    if not body.strip() or (channel == Channel.EMAIL and not bodies.subject.strip()):
        return Delivery.Status.FAILED, "empty_body", "the rendered body is empty"
    if channel == Channel.SMS:
        too_long = sms_too_long(body)
        if too_long:
            return Delivery.Status.FAILED, "sms_too_long", too_long
    return Delivery.Status.PENDING, "", ""


def message_accept(
    *,
    source_event_id: UUID,
    source: str,
    kind: str,
    category: str,
    recipient: Recipient,
    channels: Sequence[str],
    bodies: Bodies,
    link: str = "",
    render_errors: Mapping[str, str] | None = None,
) -> Notification:
    """Store a message and one delivery per requested channel; pending deliveries are
    handed to the delivery task after commit. Idempotent per (source, kind, recipient).

    Precondition: ``channels`` are known channels and ``category`` a known category
    (callers validate with :func:`message_validate` or build them from constants).
    """
    render_errors = render_errors or {}
    # No look-up first: the unique constraint answers "already accepted" (rarely asked).
    wanted = [c for c in CHANNEL_ORDER if c in set(channels)]
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                source_event_id=source_event_id,
                source=source[:120],
                kind=kind,
                category=category,
                recipient_user_id=recipient.user_id,
                recipient_key=recipient.key[:254],
                email=recipient.email[:254],
                phone=recipient.phone[:16],
                locale=recipient.locale[:10],
                link=link[:500],
                subject=bodies.subject[:MAX_SUBJECT],
                email_html=bodies.email_html,
                email_text=bodies.email_text,
                sms_text=bodies.sms_text,
                in_app_html=bodies.in_app_html,
            )
            pending: list[UUID] = []
            for channel in wanted:
                status, reason, error = _plan(
                    channel,
                    recipient=recipient,
                    category=category,
                    bodies=bodies,
                    render_errors=render_errors,
                )
                delivery = Delivery.objects.create(
                    notification=notification,
                    source_event_id=source_event_id,
                    kind=kind,
                    channel=channel,
                    recipient=_address(channel, recipient)[:254] or "-",
                    status=status,
                    status_reason=reason,
                    last_error=error,
                    max_attempts=settings.NOTIFICATIONS_MAX_ATTEMPTS,
                )
                if status != Delivery.Status.PENDING:
                    log.info(
                        "notification_delivery_not_sent",
                        kind=kind,
                        channel=channel,
                        status=status,
                        reason=reason,
                    )
                    continue
                if channel == Channel.IN_APP and recipient.user_id is not None:
                    InboxItem.objects.create(
                        user_id=recipient.user_id,
                        notification=notification,
                        kind=kind,
                        category=category,
                        body_html=bodies.in_app_html,
                        link=link[:500],
                        created_at=notification.created_at,
                    )
                pending.append(delivery.pk)
            transaction.on_commit(partial(enqueue_deliveries, pending))
    except IntegrityError:
        # Already accepted: a redelivery, or a concurrent run of the same message.
        found = _existing(source_event_id, kind, recipient.key)
        if found is None:
            raise
        return found
    return notification


def message_reject(
    *,
    source_event_id: UUID,
    source: str,
    kind: str,
    category: str,
    recipient: Recipient,
    errors: Mapping[str, list[str]],
) -> Notification:
    """Record a message that cannot be delivered (bad input), for staff to see."""
    key = recipient.key[:254] or "-"
    kind = (kind if isinstance(kind, str) else "")[:80] or "unknown"
    existing = _existing(source_event_id, kind, key)
    if existing is not None:
        return existing
    text = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
    log.warning("notification_rejected", kind=kind, source=source, errors=text[:500])
    try:
        with transaction.atomic():
            return Notification.objects.create(
                source_event_id=source_event_id,
                source=source[:120],
                kind=kind,
                category=str(category)[:24],
                recipient_user_id=recipient.user_id,
                recipient_key=key,
                email=recipient.email[:254],
                phone=recipient.phone[:16],
                status=Notification.Status.REJECTED,
                error=text[:5000],
            )
    except IntegrityError:
        found = _existing(source_event_id, kind, key)
        if found is None:
            raise
        return found


def enqueue_deliveries(delivery_ids: Iterable[UUID]) -> None:
    """Hand deliveries to the Celery task, or run it here when tasks are eager.

    Eager means ``CELERY_TASK_ALWAYS_EAGER`` in Django's settings (what the embedded profile
    and test settings change) or in the Celery app's configuration. The task is looked up
    by name: services sit below the tasks module and do not import it. A broker refusal
    leaves the delivery pending (``deliveries_resend_stuck`` picks it up) instead of
    failing the caller, whose transaction has committed.
    """
    task = current_app.tasks[DELIVER_TASK]
    eager = bool(settings.CELERY_TASK_ALWAYS_EAGER or current_app.conf.task_always_eager)
    for delivery_id in delivery_ids:
        try:
            if eager:
                task.apply(args=(str(delivery_id),))
            else:
                # The queue is explicit, so a router without routing rules does: the app's
                # own router (and its route table) is cached from ``task_routes`` the first
                # time it is used, which would freeze routes other code configures later.
                current_app.send_task(
                    DELIVER_TASK,
                    args=(str(delivery_id),),
                    queue=settings.NOTIFICATIONS_TASK_QUEUE,
                    router=Router(
                        (), current_app.amqp.queues, create_missing=True, app=current_app
                    ),
                )
        except Exception:
            log.warning("notification_enqueue_failed", delivery_id=str(delivery_id), exc_info=True)
