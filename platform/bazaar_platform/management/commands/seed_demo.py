"""Load the demo marketplace. Idempotent: running it twice changes nothing the second time."""

from __future__ import annotations

from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from bazaar_platform.seeding import SeedContext, seeders


class Command(BaseCommand):
    help = "Seed demo data for every context (idempotent), with progress."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", nargs="*", help="Seed only these contexts.")
        parser.add_argument("--quiet-progress", action="store_true", help="No progress bars.")

    def handle(self, *args: Any, **options: Any) -> None:
        # tqdm needs the raw stream: OutputWrapper.write() would add a newline per refresh
        ctx = SeedContext(out=cast("IO[str]", self.stderr._out), quiet=options["quiet_progress"])
        only = set(options["only"] or [])
        for name, seeder in seeders():
            if only and name not in only:
                continue
            with transaction.atomic():
                seeder(ctx)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        for login in ctx.logins:
            note = f"  ({login.note})" if login.note else ""
            self.stdout.write(f"  login: {login.email} / {login.password}{note}")
