"""The notifications context's published language.

``notifications.send_requested`` is a *command* carried on the event bus: any context
(or the facade's :func:`~contexts.notifications.facade.notification_send`) publishes
it through its outbox, in the same transaction as the change it announces, and this
context's own handler delivers it. It carries the original design's message shape:
the recipient's e-mail and phone number, the channels to use, and a body per channel
(plain text for SMS, HTML for in-app, e-mail-safe HTML for e-mail).

Its name is past tense like every event ("a send was requested"); it is still a
request: this context may reject it (bad input is recorded, never retried forever).
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from bazaar_platform.events import IntegrationEvent


class SendRequested(IntegrationEvent):
    """Deliver one message to one recipient over the listed channels."""

    event_type: ClassVar[str] = "notifications.send_requested"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "message_id"

    # Idempotency: the same message_id is delivered once per channel and address.
    message_id: UUID
    recipient_user_id: UUID | None = None  # needed for in_app; enables preferences
    email: str = ""
    phone: str = ""  # E.164
    channels: list[str]  # "sms" | "in_app" | "email"
    sms_body: str = ""  # plain text
    in_app_body: str = ""  # HTML fragment (sanitised on receipt)
    email_subject: str = ""
    email_body: str = ""  # e-mail-safe HTML (sanitised on receipt)
    email_text: str = ""  # plain-text part; derived from email_body when empty
    kind: str = "message"
    category: str = "account"  # orders | account | marketing | vendor_operations | security
    link: str = ""
    locale: str = ""
    requested_by: str = ""  # who asked (a context name, a staff user id): audit only


ALL_EVENTS: tuple[type[IntegrationEvent], ...] = (SendRequested,)
