"""The REST API under /api/v1/notifications/: inbox, read marks, preferences, staff send."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from contexts.notifications.models import Category, Channel, InboxItem, Notification
from contexts.notifications.services import Bodies, Recipient, message_accept
from contexts.notifications.tests.conftest import login, make_user, profile_email

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

BASE = "/api/v1/notifications/"


def _client(user_id) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(profile_email(user_id))['access_token']}")
    return client


def _items(user_id, count, capture):
    with capture(execute=True):
        for n in range(count):
            message_accept(
                source_event_id=uuid.uuid4(),
                source="test.event",
                kind="test_kind",
                category=Category.ORDERS,
                recipient=Recipient(user_id=user_id),
                channels=[Channel.IN_APP],
                bodies=Bodies(in_app_html=f"<p>n{n}</p>"),
                link=f"/orders/{n}",
            )


def _error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    return response.json()["error"]


@pytest.fixture
def alice():
    return make_user(full_name="Alice")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("get", "unread-count"),
        ("post", "read-all"),
        ("get", "preferences"),
        ("patch", "preferences"),
        ("post", "6f1c3f0e-3c1b-4c55-9a43-0d3b0c9a7e21/read"),
    ],
)
def test_anonymous_callers_are_refused(method, path):
    _error(getattr(APIClient(), method)(BASE + path), 401, "not_authenticated")


def test_the_inbox_is_cursor_paginated_newest_first_and_private(
    alice, django_capture_on_commit_callbacks
):
    bob = make_user()
    _items(alice, 25, django_capture_on_commit_callbacks)
    _items(bob, 2, django_capture_on_commit_callbacks)
    client = _client(alice)
    first = client.get(BASE, {"limit": 10}).json()
    assert [i["body_html"] for i in first["data"]] == [f"<p>n{n}</p>" for n in range(24, 14, -1)]
    assert set(first["data"][0]) == {
        "id",
        "kind",
        "category",
        "body_html",
        "link",
        "created_at",
        "read_at",
    }
    seen = [i["id"] for i in first["data"]]
    url = first["meta"]["pagination"]["next"]
    while url:
        page = client.get(url).json()
        seen += [i["id"] for i in page["data"]]
        url = page["meta"]["pagination"]["next"]
    assert len(seen) == len(set(seen)) == 25
    assert set(seen) == {
        str(pk) for pk in InboxItem.objects.filter(user_id=alice).values_list("pk", flat=True)
    }


def test_unread_filter_counts_and_read_marks(alice, django_capture_on_commit_callbacks):
    _items(alice, 4, django_capture_on_commit_callbacks)
    client = _client(alice)
    assert client.get(BASE + "unread-count").json()["data"] == {"unread_count": 4}
    target = client.get(BASE).json()["data"][0]
    read = client.post(f"{BASE}{target['id']}/read")
    assert read.status_code == 200 and read.json()["data"]["read_at"]
    again = client.post(f"{BASE}{target['id']}/read")  # idempotent
    assert again.json()["data"]["read_at"] == read.json()["data"]["read_at"]
    unread = client.get(BASE, {"unread": "true"}).json()["data"]
    assert len(unread) == 3 and target["id"] not in {i["id"] for i in unread}
    assert len(client.get(BASE, {"unread": "false"}).json()["data"]) == 4
    done = client.post(BASE + "read-all").json()["data"]
    assert done == {"marked": 3, "unread_count": 0}
    assert client.post(BASE + "read-all").json()["data"] == {"marked": 0, "unread_count": 0}


def test_someone_elses_notification_is_not_found(alice, django_capture_on_commit_callbacks):
    bob = make_user()
    _items(bob, 1, django_capture_on_commit_callbacks)
    item = InboxItem.objects.get(user_id=bob)
    client = _client(alice)
    _error(client.post(f"{BASE}{item.pk}/read"), 404, "not_found")
    _error(client.post(f"{BASE}{uuid.uuid4()}/read"), 404, "not_found")
    assert InboxItem.objects.get(pk=item.pk).read_at is None
    assert client.post(f"{BASE}not-a-uuid/read").status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"unread": "maybe"}, "unread"),
        ({"limit": "1000"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"page": "2"}, "page"),
    ],
)
def test_bad_list_parameters_are_400(alice, params, field):
    error = _error(_client(alice).get(BASE, params), 400, "validation_error")
    assert field in error["fields"]


def test_preferences_read_and_update(alice):
    client = _client(alice)
    prefs = client.get(BASE + "preferences").json()["data"]
    assert prefs["locale"] == "" and prefs["phone"] == ""
    assert set(prefs["channels"]) == {c.value for c in Category}
    assert prefs["channels"]["marketing"]["email"] == {
        "enabled": False,
        "locked": False,
        "default": False,
    }
    assert prefs["channels"]["security"]["sms"]["locked"] is True
    assert prefs["channels"]["orders"]["email"]["enabled"] is True
    updated = client.patch(
        BASE + "preferences",
        {
            "channels": {"marketing": {"email": True}, "orders": {"sms": False}},
            "locale": "de",
            "phone": "+4915112345678",
        },
        format="json",
    ).json()["data"]
    assert updated["channels"]["marketing"]["email"]["enabled"] is True
    assert updated["channels"]["orders"]["sms"]["enabled"] is False
    assert (updated["locale"], updated["phone"]) == ("de", "+4915112345678")
    # Re-affirming a locked channel is allowed (no-op).
    assert (
        client.patch(
            BASE + "preferences", {"channels": {"security": {"email": True}}}, format="json"
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"channels": {"security": {"email": False}}}, "preference_locked", "channels.security"),
        ({"channels": {"gossip": {"email": True}}}, "validation_error", "channels.gossip"),
        ({"channels": {"orders": {"fax": True}}}, "validation_error", "channels.orders"),
        ({"channels": {"orders": {"email": "yes"}}}, "validation_error", "channels.orders.email"),
        ({"channels": {"orders": "on"}}, "validation_error", "channels"),
        ({"locale": "xx"}, "validation_error", "locale"),
        ({"phone": "0044 7700 900123"}, "validation_error", "phone"),
        ({"colour": "blue"}, "validation_error", "colour"),
    ],
)
def test_bad_preference_updates_are_400_and_change_nothing(alice, body, code, field):
    client = _client(alice)
    before = client.get(BASE + "preferences").json()["data"]
    error = _error(client.patch(BASE + "preferences", body, format="json"), 400, code)
    assert field in error["fields"], error
    assert client.get(BASE + "preferences").json()["data"] == before


def test_a_non_object_body_is_400(alice):
    _error(
        _client(alice).patch(BASE + "preferences", [1, 2], format="json"), 400, "validation_error"
    )


def test_staff_send_a_message_through_the_command(alice, django_capture_on_commit_callbacks):
    admin = make_user(role="admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(admin).post(
            BASE + "messages",
            {
                "channels": ["in_app"],
                "recipient_user_id": str(alice),
                "in_app_body": "<p>Scheduled maintenance tonight</p>",
                "category": "account",
            },
            format="json",
        )
    assert response.status_code == 202, response.content
    message_id = response.json()["data"]["message_id"]
    notification = Notification.objects.get(source_event_id=message_id)
    assert notification.source == "notifications.send_requested"
    assert InboxItem.objects.get(notification=notification).user_id == alice


def test_only_staff_may_send_and_bad_messages_are_400(alice):
    body = {"channels": ["sms"], "phone": "12345", "sms_body": "x"}
    _error(_client(alice).post(BASE + "messages", body, format="json"), 403, "permission_denied")
    admin = _client(make_user(role="admin"))
    error = _error(admin.post(BASE + "messages", body, format="json"), 400, "invalid_notification")
    assert "phone" in error["fields"]
    error = _error(
        admin.post(BASE + "messages", {"channels": "sms"}, format="json"), 400, "validation_error"
    )
    assert "channels" in error["fields"]
    error = _error(
        admin.post(BASE + "messages", {"channels": ["sms"], "bogus": 1}, format="json"),
        400,
        "validation_error",
    )
    assert "bogus" in error["fields"]
