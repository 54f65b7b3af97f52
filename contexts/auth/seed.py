"""The auth context's part of ``seed_demo``: demo logins printed by the README's first command."""

from __future__ import annotations

from django.utils import timezone

from bazaar_platform.seeding import SeedContext
from contexts.auth.models import CustomerStatus, User
from contexts.auth.services.accounts import StatusChange, role_grant, user_status_set

DEMO_PASSWORD = "bazaar-demo-2026"  # noqa: S105 - a published demo credential, embedded profile only
# e-mail, name, staff, roles
DEMO_USERS: list[tuple[str, str, bool, tuple[str, ...]]] = [
    ("admin@bazaar.local", "Ada Admin", True, ("admin",)),
    ("customer@bazaar.local", "Casey Customer", False, ("customer",)),
    ("vendor@bazaar.local", "Vera Vendor", False, ("vendor", "customer")),
]


def seed_demo_accounts(ctx: SeedContext) -> None:
    for email, name, staff, roles in ctx.progress(DEMO_USERS, "accounts"):
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
        for role in roles:
            role_grant(user_id=user.pk, role=role)  # idempotent
        if "customer" in roles and user.customer_status != CustomerStatus.ACTIVE:
            user_status_set(
                user_id=user.pk, change=StatusChange(customer_status=CustomerStatus.ACTIVE)
            )
        note = "staff admin" if staff else ", ".join(roles)
        ctx.login(email=email, password=DEMO_PASSWORD, note=note)
