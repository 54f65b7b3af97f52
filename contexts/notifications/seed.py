"""The notifications part of ``seed_demo``: a few in-app notifications for the demo users.

Idempotent: each message has a fixed source id (uuid5), so a second run finds them
and writes nothing. In-app only: seeding sends no e-mail or SMS.
"""

from __future__ import annotations

import uuid

from django.utils import timezone

from bazaar_platform.seeding import SeedContext
from contexts.auth import facade as auth
from contexts.notifications.models import Category, Channel, InboxItem
from contexts.notifications.services import Bodies, Recipient, message_accept

NAMESPACE = uuid.UUID("5d0f1f6e-8a41-4f7b-9d55-3b7f2a0c6d10")
DEMO_USERS = ("customer@bazaar.local", "vendor@bazaar.local", "admin@bazaar.local")

# (in-app HTML, link, already read)
MESSAGES: list[tuple[str, str, bool]] = [
    (
        "<p>Your notification inbox is live: new messages appear here without reloading.</p>",
        "/notifications/",
        True,
    ),
    (
        "<p><strong>Tip:</strong> choose which messages reach you by e-mail, SMS or here "
        "in your notification preferences.</p>",
        "/api/v1/notifications/preferences",
        False,
    ),
]


def seed_demo_notifications(ctx: SeedContext) -> None:
    # The welcome comes from the auth.user_registered reaction when the auth seed creates
    # the demo accounts; these are two more, one of them read.
    for email in ctx.progress(DEMO_USERS, "notifications"):
        user_id = auth.user_create_or_get(email=email, full_name="")
        profile = auth.user_profile(user_id=user_id)
        recipient = Recipient(
            user_id=user_id, email=email, name=profile.full_name if profile else "", locale="en"
        )
        for index, (html, link, read) in enumerate(MESSAGES):
            notification = message_accept(
                source_event_id=uuid.uuid5(NAMESPACE, f"{email}/{index}"),
                source="seed_demo",
                kind="message",
                category=Category.ACCOUNT,
                recipient=recipient,
                channels=[Channel.IN_APP],
                bodies=Bodies(in_app_html=html),
                link=link,
            )
            if read:
                InboxItem.objects.filter(notification=notification, read_at__isnull=True).update(
                    read_at=timezone.now()
                )
