"""The auth context's part of ``seed_demo``: demo logins printed by the README's first command."""

from __future__ import annotations

from django.utils import timezone

from bazaar_platform.seeding import SeedContext
from contexts.auth.models import User

DEMO_PASSWORD = "bazaar-demo-2026"  # noqa: S105 - a published demo credential, embedded profile only
DEMO_USERS = [
    ("admin@bazaar.local", "Ada Admin", True),
    ("customer@bazaar.local", "Casey Customer", False),
    ("vendor@bazaar.local", "Vera Vendor", False),
]


def seed_demo_accounts(ctx: SeedContext) -> None:
    for email, name, staff in ctx.progress(DEMO_USERS, "accounts"):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email,
                DEMO_PASSWORD,
                full_name=name,
                is_staff=staff,
                is_superuser=staff,
                email_verified_at=timezone.now(),
            )
        ctx.login(email=email, password=DEMO_PASSWORD, note="staff admin" if staff else "")
