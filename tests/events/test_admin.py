"""Staff see dead letters (with their reason and error, filterable) and the outbox
(read-only) in the Django admin, and can replay dead letters."""

from __future__ import annotations

import uuid

import pytest

from bazaar_platform.events.models import DeadLetter, OutboxMessage
from tests.events.conftest import handler_attempts, note_rows, publish_notes
from tests.events.support import CONTEXT

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

CHANGELIST = "/admin/platform_events/deadletter/"


def test_dead_letter_list_shows_reason_and_error_and_filters(admin_client):
    (poison,) = publish_notes(uuid.uuid4(), 1, fail_always=True)
    page = admin_client.get(CHANGELIST)
    assert page.status_code == 200
    body = page.content.decode()
    assert "handler_failed" in body and "poison note" in body and f"{CONTEXT}.record_note" in body
    assert "By reason" in body and "By status" in body and "By transport" in body
    filtered = admin_client.get(CHANGELIST, {"reason__exact": "malformed_message"})
    assert "poison note" not in filtered.content.decode()
    letter = DeadLetter.objects.get(event_id=poison.event_id)
    detail = admin_client.get(f"{CHANGELIST}{letter.pk}/change/")
    assert detail.status_code == 200 and str(poison.event_id) in detail.content.decode()


def test_replay_action_reapplies_and_marks_replayed_or_reports_still_failing(admin_client):
    note_id = uuid.uuid4()
    (flaky,) = publish_notes(note_id, 1, fail_times=3)  # fails all 3 attempts, then would succeed
    (poison,) = publish_notes(uuid.uuid4(), 1, fail_always=True)
    letters = DeadLetter.objects.filter(event_id__in=[flaky.event_id, poison.event_id])
    assert letters.count() == 2 and note_rows(note_id) == []
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "replay",
            "_selected_action": [str(pk) for pk in letters.values_list("pk", flat=True)],
        },
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("Replayed 1 dead letter(s); 1 still failing." in m for m in messages)
    fixed = DeadLetter.objects.get(event_id=flaky.event_id)
    assert fixed.status == DeadLetter.Status.REPLAYED and fixed.replayed_at is not None
    assert [r[0] for r in note_rows(note_id)] == [flaky.event_id]
    assert handler_attempts(flaky.event_id) == 4
    still = DeadLetter.objects.get(event_id=poison.event_id)
    assert still.status == DeadLetter.Status.PENDING and still.attempts == 4
    assert "poison note" in still.error


def test_replaying_an_undecodable_letter_keeps_it_pending(admin_client):
    from bazaar_platform.events.consumer import dead_letter

    letter = dead_letter(
        message=b"\x00garbage",
        reason="malformed_message",
        error="not JSON",
        transport="rabbitmq",
        context=CONTEXT,
    )
    admin_client.post(CHANGELIST, {"action": "replay", "_selected_action": [str(letter.pk)]})
    letter.refresh_from_db()
    assert letter.status == DeadLetter.Status.PENDING and letter.error.startswith(
        "malformed_message"
    )
    admin_client.post(CHANGELIST, {"action": "discard", "_selected_action": [str(letter.pk)]})
    letter.refresh_from_db()
    assert letter.status == DeadLetter.Status.DISCARDED


def test_outbox_is_visible_but_read_only(admin_client):
    (event,) = publish_notes(uuid.uuid4(), 1)
    row = OutboxMessage.objects.get(event_id=event.event_id)
    listing = admin_client.get("/admin/platform_events/outboxmessage/", {"delivery": "sent"})
    assert listing.status_code == 200 and "evtest.note_recorded" in listing.content.decode()
    detail = admin_client.get(f"/admin/platform_events/outboxmessage/{row.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert admin_client.get("/admin/platform_events/outboxmessage/add/").status_code == 403
    assert (
        admin_client.post(f"/admin/platform_events/outboxmessage/{row.pk}/delete/").status_code
        == 403
    )
