"""``manage.py event_catalogue``: print the event catalogue and write ``docs/events.md``.

``--asyncapi docs/asyncapi.yaml`` also writes the AsyncAPI 3.0 document;
``--check`` writes nothing and fails if the files on disk are out of date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bazaar_platform.events.catalogue import collect, render_asyncapi, render_markdown


class Command(BaseCommand):
    help = "Generate the event catalogue (markdown, optionally AsyncAPI) from code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "docs" / "events.md"),
            help="Markdown file to write (default docs/events.md); '-' to only print.",
        )
        parser.add_argument(
            "--asyncapi", default=None, help="Also write an AsyncAPI 3.0 YAML here."
        )
        parser.add_argument(
            "--check", action="store_true", help="Fail if the files are out of date."
        )
        parser.add_argument("--quiet", action="store_true", help="Do not print the markdown.")

    def handle(self, *args: Any, **options: Any) -> None:
        entries = collect()
        markdown = render_markdown(entries)
        outputs: list[tuple[Path, str]] = []
        if options["output"] != "-":
            outputs.append((Path(options["output"]), markdown))
        if options["asyncapi"]:
            outputs.append((Path(options["asyncapi"]), render_asyncapi(entries)))
        if options["check"]:
            stale = [str(p) for p, text in outputs if not p.exists() or p.read_text() != text]
            if stale:
                raise CommandError(
                    f"out of date: {', '.join(stale)}; run `python manage.py event_catalogue"
                    f"{' --asyncapi ' + options['asyncapi'] if options['asyncapi'] else ''}`"
                )
            self.stdout.write("event catalogue is up to date")
            return
        if not options["quiet"]:
            self.stdout.write(markdown)
        for path, text in outputs:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            self.stderr.write(f"wrote {path}")
