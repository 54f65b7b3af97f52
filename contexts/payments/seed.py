"""The payments context's part of ``seed_demo``: set up the sandbox gateway.

Payments themselves are made by the flows that need them (vendor onboarding, orders);
demo payments without those would be orphans. What the platform needs before the
first checkout is the sandbox gateway's account and its webhook signing secret.
"""

from __future__ import annotations

from django.conf import settings

from bazaar_platform.seeding import SeedContext
from contexts.payments.services.sandbox import sandbox_account_ensure, sandbox_webhook_url


def seed_payments(ctx: SeedContext) -> None:
    for _ in ctx.progress([None], "payments (sandbox gateway)"):
        sandbox_account_ensure()  # idempotent: the secret is generated once
    if not ctx.quiet:
        source = (
            "PAYMENTS_SANDBOX_WEBHOOK_SECRET"
            if settings.PAYMENTS_SANDBOX_WEBHOOK_SECRET
            else "generated, in the sandbox account"
        )
        ctx.out.write(
            f"payments: gateway {settings.PAYMENTS_GATEWAY}; sandbox webhooks go to "
            f"{sandbox_webhook_url()} (signing secret: {source})\n"
        )
