"""The notifications context's synchronous API for other contexts.

Most contexts never call it: they publish their own events and this context reacts
(``handlers.py``). :func:`notification_send` is for a message that no event describes
(a staff announcement, a one-off): it validates at once and hands the message over
as the ``notifications.send_requested`` command through the outbox, so it is sent
only if the caller's transaction commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from uuid import UUID

from django.db import transaction

from bazaar_platform.events import publish
from contexts.auth import facade as auth
from contexts.notifications import selectors
from contexts.notifications.events import SendRequested
from contexts.notifications.models import Category, Channel
from contexts.notifications.services import (
    Bodies,
    MessageRejectedError,
    Recipient,
    message_validate,
)

_IDEMPOTENCY_NAMESPACE = uuid.UUID("0b7f2f0a-51c4-4bd5-9b0e-6c1f0b7a9e11")


def notification_send(
    *,
    channels: Sequence[str],
    recipient_user_id: UUID | None = None,
    email: str = "",
    phone: str = "",
    sms_body: str = "",
    in_app_body: str = "",
    email_subject: str = "",
    email_body: str = "",
    email_text: str = "",
    kind: str = "message",
    category: str = "account",
    link: str = "",
    locale: str = "",
    idempotency_key: str = "",
    requested_by: str = "",
) -> UUID:
    """Request delivery of one message; returns its message id.

    ``channels`` ⊆ {"sms", "in_app", "email"}; each needs its address (``phone`` in
    E.164, ``recipient_user_id``, ``email``) and its body (``sms_body`` plain text,
    ``in_app_body`` HTML, ``email_subject`` + ``email_body`` HTML). With a
    ``recipient_user_id`` the user's preferences for ``category`` apply (``security``
    always goes out). The same ``idempotency_key`` always yields the same message id,
    and a message id is delivered once per channel and address.

    Raises ``MessageRejectedError`` (400 ``invalid_notification``, with ``fields``) on bad
    input; nothing is published then.
    """
    recipient = Recipient(user_id=recipient_user_id, email=email.strip(), phone=phone.strip())
    bodies = Bodies(
        subject=email_subject,
        email_html=email_body,
        email_text=email_text,
        sms_text=sms_body,
        in_app_html=in_app_body,
    )
    errors = message_validate(
        recipient=recipient,
        channels=list(channels),
        bodies=bodies,
        kind=kind,
        category=category,
        link=link,
    )
    if not errors and recipient_user_id is not None and not _user_exists(recipient_user_id):
        errors = {"recipient_user_id": ["No such user."]}
    if errors:
        raise MessageRejectedError(
            next(iter(errors.values()))[0], code="invalid_notification", fields=errors
        )
    message_id = (
        uuid.uuid5(_IDEMPOTENCY_NAMESPACE, idempotency_key) if idempotency_key else uuid.uuid4()
    )
    with transaction.atomic():
        publish(
            SendRequested(
                message_id=message_id,
                recipient_user_id=recipient_user_id,
                email=recipient.email,
                phone=recipient.phone,
                channels=list(dict.fromkeys(channels)),
                sms_body=sms_body,
                in_app_body=in_app_body,
                email_subject=email_subject,
                email_body=email_body,
                email_text=email_text,
                kind=kind,
                category=category,
                link=link,
                locale=locale,
                requested_by=requested_by[:120],
            )
        )
    return message_id


def _user_exists(user_id: UUID) -> bool:
    """Whether ``user_id`` is an account (asked of the auth facade)."""
    return auth.user_profile(user_id=user_id) is not None


def unread_count(*, user_id: UUID) -> int:
    """How many in-app notifications ``user_id`` has not read."""
    return selectors.unread_count(user_id=user_id)


def channel_enabled(*, user_id: UUID, category: str, channel: str) -> bool:
    """Whether ``user_id`` receives ``category`` messages on ``channel`` (defaults applied;
    security is always on). Unknown category or channel: ``False``."""
    if category not in Category.values or channel not in Channel.values:
        return False
    return selectors.channel_enabled(user_id=user_id, category=category, channel=channel)
