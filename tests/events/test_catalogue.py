"""The event catalogue is generated from code: markdown (``docs/events.md``, checked to be
current) and AsyncAPI 3.0 (``docs/asyncapi.yaml``)."""

from __future__ import annotations

import json
import uuid
from io import StringIO

import jsonschema
import pytest
import yaml
from django.core.management import CommandError, call_command

from bazaar_platform.events.catalogue import (
    build_asyncapi,
    collect,
    message_schema,
    render_asyncapi,
    render_markdown,
)
from bazaar_platform.events.registry import subscriptions_for
from tests.conftest import ROOT
from tests.events.support import CONTEXT
from tests.events.support.events import NoteArchived, NoteRecorded

pytestmark = [pytest.mark.integration]


def _entries():
    subs = subscriptions_for("evtest.note_recorded")
    return collect([NoteRecorded, NoteArchived], subs)


def test_docs_events_md_and_asyncapi_are_current():
    """Fails when an event or handler changed without regenerating the docs:
    run `python manage.py event_catalogue --asyncapi docs/asyncapi.yaml`."""
    call_command(
        "event_catalogue",
        "--check",
        "--output",
        str(ROOT / "docs" / "events.md"),
        "--asyncapi",
        str(ROOT / "docs" / "asyncapi.yaml"),
        stdout=StringIO(),
    )


def test_markdown_lists_type_version_schema_producer_and_consumers():
    markdown = render_markdown(_entries())
    assert "| [`evtest.note_recorded`](#evtestnote_recorded-v1) | 1 | evtest |" in markdown
    assert f"`{CONTEXT}.record_note`" in markdown and f"`{CONTEXT}.audit_note`" in markdown
    assert "## evtest.note_archived v1" in markdown and "- Consumers: none yet" in markdown
    assert "- Aggregate (ordering key): `note_id`" in markdown
    schema_block = (
        markdown.split("## evtest.note_recorded v1", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    )
    schema = json.loads(schema_block)
    assert schema["required"] == ["note_id", "seq"]
    assert schema["properties"]["note_id"]["format"] == "uuid"
    assert "event_id" not in schema["properties"]  # the envelope is described once, above


def test_message_schema_accepts_real_messages_and_rejects_bad_ones():
    schema = message_schema(NoteRecorded)
    jsonschema.validate(NoteRecorded(note_id=uuid.uuid4(), seq=1).to_message(), schema)
    bad = NoteRecorded(note_id=uuid.uuid4(), seq=1).to_message()
    bad["payload"]["unexpected"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_asyncapi_document_is_3_0_with_resolvable_references():
    document = yaml.safe_load(render_asyncapi(_entries()))
    assert document["asyncapi"] == "3.0.0"
    channel = document["channels"]["evtest.note_recorded.v1"]
    assert channel["address"] == "evtest.note_recorded"
    assert channel["bindings"]["amqp"]["exchange"] == {
        "name": "bazaar.events",
        "type": "topic",
        "durable": True,
        "autoDelete": False,
        "vhost": "/",
    }
    assert channel["bindings"]["kafka"]["topic"] == "bazaar.events.evtest"
    actions = {name: op["action"] for name, op in document["operations"].items()}
    assert actions["evtest.publish.evtest.note_recorded.v1"] == "send"
    assert actions[f"{CONTEXT}.record_note.evtest.note_recorded.v1"] == "receive"
    for ref in _refs(document):
        node = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]  # raises KeyError if the reference dangles
    payload = document["components"]["messages"]["evtest.note_recorded.v1"]["payload"]
    jsonschema.validate(NoteRecorded(note_id=uuid.uuid4(), seq=2).to_message(), payload)
    assert build_asyncapi([])["channels"] == {}


def test_command_writes_both_files_and_check_detects_stale_ones(tmp_path):
    markdown, asyncapi = tmp_path / "events.md", tmp_path / "asyncapi.yaml"
    out = StringIO()
    call_command(
        "event_catalogue",
        "--output",
        str(markdown),
        "--asyncapi",
        str(asyncapi),
        stdout=out,
        stderr=StringIO(),
    )
    assert out.getvalue().startswith("# Event catalogue")
    assert (
        markdown.read_text() == out.getvalue().rstrip("\n") + "\n"
        or markdown.read_text() in out.getvalue()
    )
    assert yaml.safe_load(asyncapi.read_text())["asyncapi"] == "3.0.0"
    call_command("event_catalogue", "--check", "--output", str(markdown), stdout=StringIO())
    markdown.write_text(markdown.read_text() + "\nhand edit\n")
    with pytest.raises(CommandError, match="out of date"):
        call_command("event_catalogue", "--check", "--output", str(markdown), stdout=StringIO())
