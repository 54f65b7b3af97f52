"""Events used only by the event-platform tests (producer ``evtest``)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from bazaar_platform.events import IntegrationEvent


class NoteRecorded(IntegrationEvent):
    """A test note was recorded. The knobs make its handlers misbehave on purpose."""

    event_type: ClassVar[str] = "evtest.note_recorded"
    aggregate: ClassVar[str] = "note_id"

    note_id: UUID
    seq: int
    text: str = ""
    sleep_ms: int = 0  # the handler sleeps this long (mid-handler kill / SIGTERM tests)
    fail_times: int = 0  # the handler raises on its first N attempts
    fail_always: bool = False  # a poison event
    pause_after_commit_ms: int = 0  # sleep after the handler's commit, before the ack


class NoteArchived(IntegrationEvent):
    """A test note was archived; nobody consumes it (consumers skip it)."""

    event_type: ClassVar[str] = "evtest.note_archived"
    aggregate: ClassVar[str] = "note_id"

    note_id: UUID
