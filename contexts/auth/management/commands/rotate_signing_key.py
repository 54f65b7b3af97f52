"""``manage.py rotate_signing_key``: sign new access tokens with a new key, now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from contexts.auth.models import SigningKey
from contexts.auth.services.keys import (
    signing_key_rotate,
    signing_key_rotate_if_due,
    signing_keys_expire,
)


class Command(BaseCommand):
    help = (
        "Rotate the access-token signing key: new tokens use the new key at once; the old key "
        "stays in the JWKS until the tokens it signed have expired, then leaves it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-due", action="store_true", help="Only if the key is older than the period."
        )
        parser.add_argument(
            "--expire-only", action="store_true", help="Only drop retired keys past their window."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["expire_only"]:
            self.stdout.write(f"expired {signing_keys_expire()} retired key(s)")
        elif options["if_due"]:
            key = signing_key_rotate_if_due()
            self.stdout.write(f"rotated: new kid {key.kid}" if key else "not due")
        else:
            key = signing_key_rotate()
            self.stdout.write(f"rotated: new kid {key.kid}")
        for row in SigningKey.objects.exclude(state=SigningKey.State.EXPIRED).order_by(
            "-created_at"
        ):
            until = (
                f" published until {row.publish_until:%Y-%m-%d %H:%M:%S}"
                if row.publish_until
                else ""
            )
            self.stdout.write(f"  {row.kid}  {row.state}{until}")
