"""Writes of the notifications context (see each module)."""

from contexts.notifications.services.delivery import (
    AttemptResult,
    backoff_seconds,
    deliveries_resend_stuck,
    delivery_attempt,
    delivery_retry,
)
from contexts.notifications.services.inbox import inbox_item_mark_read, inbox_mark_all_read
from contexts.notifications.services.messages import (
    MessageRejectedError,
    Recipient,
    message_accept,
    message_reject,
    message_validate,
    text_from_html,
)
from contexts.notifications.services.preferences import preferences_update
from contexts.notifications.services.rendering import Bodies, render_kind

__all__ = [
    "AttemptResult",
    "Bodies",
    "MessageRejectedError",
    "Recipient",
    "backoff_seconds",
    "deliveries_resend_stuck",
    "delivery_attempt",
    "delivery_retry",
    "inbox_item_mark_read",
    "inbox_mark_all_read",
    "message_accept",
    "message_reject",
    "message_validate",
    "preferences_update",
    "render_kind",
    "text_from_html",
]
