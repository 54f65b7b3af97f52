"""The command way in: validation, delivery per channel, idempotency, rejection,
preferences — through the facade, the outbox, the in-process bus and the handler."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core import mail
from django.db import transaction

from bazaar_platform.events import publish
from bazaar_platform.events.consumer import Outcome, apply
from bazaar_platform.events.models import OutboxMessage
from contexts.notifications import facade
from contexts.notifications.events import SendRequested
from contexts.notifications.handlers import on_send_requested
from contexts.notifications.models import (
    Category,
    Channel,
    ChannelPreference,
    Delivery,
    InboxItem,
    Notification,
)
from contexts.notifications.services import (
    Bodies,
    MessageRejectedError,
    Recipient,
    message_accept,
    preferences_update,
)
from contexts.notifications.tests.conftest import make_user, profile_email

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PHONE = "+447700900123"


def _send(capture, **kwargs):
    with capture(execute=True):
        return facade.notification_send(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"channels": ["email"], "email_subject": "s", "email_body": "<p>b</p>"}, "recipient"),
        ({"channels": ["fax"], "email": "a@example.com"}, "channels"),
        ({"channels": [], "email": "a@example.com"}, "channels"),
        ({"channels": ["sms"], "phone": "+44 7700 900123", "sms_body": "hi"}, "phone"),
        ({"channels": ["sms"], "phone": "07700900123", "sms_body": "hi"}, "phone"),
        ({"channels": ["sms"], "phone": PHONE}, "sms_body"),
        ({"channels": ["sms"], "email": "a@example.com", "sms_body": "hi"}, "phone"),
        (
            {"channels": ["in_app"], "email": "a@example.com", "in_app_body": "x"},
            "recipient_user_id",
        ),
        (
            {
                "channels": ["email"],
                "email": "not-an-address",
                "email_subject": "s",
                "email_body": "b",
            },
            "email",
        ),
        (
            {"channels": ["email"], "email": "a@example.com", "email_body": "<p>b</p>"},
            "email_subject",
        ),
        ({"channels": ["sms"], "phone": PHONE, "sms_body": "hi", "category": "gossip"}, "category"),
        ({"channels": ["sms"], "phone": PHONE, "sms_body": "hi", "kind": "Bad Kind!"}, "kind"),
        (
            {"channels": ["sms"], "phone": PHONE, "sms_body": "hi", "link": "javascript:alert(1)"},
            "link",
        ),
        ({"channels": ["sms"], "phone": PHONE, "sms_body": "ж" * 500}, "sms_body"),
    ],
)
def test_bad_input_is_refused_at_once_and_nothing_is_published(kwargs, field):
    with pytest.raises(MessageRejectedError) as caught:
        facade.notification_send(**kwargs)
    assert caught.value.code == "invalid_notification"
    assert field in caught.value.fields, caught.value.fields
    assert not OutboxMessage.objects.exists()


def test_an_unknown_recipient_user_is_refused(django_capture_on_commit_callbacks):
    with pytest.raises(MessageRejectedError) as caught:
        facade.notification_send(
            channels=["in_app"], recipient_user_id=uuid.uuid4(), in_app_body="<p>x</p>"
        )
    assert caught.value.fields == {"recipient_user_id": ["No such user."]}
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(
            SendRequested(
                message_id=uuid.uuid4(),
                recipient_user_id=uuid.uuid4(),
                channels=["in_app"],
                in_app_body="<p>x</p>",
            )
        )
    rejected = Notification.objects.get()
    assert rejected.status == Notification.Status.REJECTED
    assert rejected.error == "recipient_user_id: No such user."
    assert not InboxItem.objects.exists()


def test_a_message_goes_out_on_every_channel_it_names(django_capture_on_commit_callbacks, capsys):
    user_id = make_user(full_name="Ada")
    email = profile_email(user_id)
    message_id = _send(
        django_capture_on_commit_callbacks,
        channels=["sms", "in_app", "email"],
        recipient_user_id=user_id,
        email=email,
        phone=PHONE,
        sms_body="Your parcel is on its way.",
        in_app_body="<p>Parcel <b>shipped</b><script>steal()</script></p>",
        email_subject="Shipped",
        email_body="<h1>Shipped</h1><p>Your parcel is on its way.</p>",
        kind="order_shipped",
        category=Category.ORDERS,
        link="/orders/42",
    )
    notification = Notification.objects.get(source_event_id=message_id)
    assert notification.status == Notification.Status.ACCEPTED
    deliveries = {d.channel: d for d in notification.deliveries.all()}
    assert {c: d.status for c, d in deliveries.items()} == {
        "sms": "sent",
        "in_app": "sent",
        "email": "sent",
    }
    assert all(d.attempt_log.count() == 1 for d in deliveries.values())
    item = InboxItem.objects.get(user_id=user_id)
    assert item.body_html == "<p>Parcel <b>shipped</b></p>"  # sanitised on receipt
    assert item.link == "/orders/42"
    sent = [m for m in mail.outbox if m.subject == "Shipped"]
    assert len(sent) == 1 and sent[0].to == [email]
    assert sent[0].body == "Shipped\nYour parcel is on its way."  # text part derived from HTML
    assert sent[0].alternatives[0][1] == "text/html"
    assert f"SMS to {PHONE} (GSM-7, 1 part(s))" in capsys.readouterr().out


def test_the_command_round_trips_through_json():
    event = SendRequested(
        message_id=uuid.uuid4(), channels=["sms"], phone=PHONE, sms_body="hi", kind="x"
    )
    restored = SendRequested.model_validate(
        {
            **json.loads(json.dumps(event.to_message()))["payload"],
            "event_id": str(event.event_id),
            "occurred_at": event.occurred_at.isoformat(),
        }
    )
    assert restored == event


def test_a_redelivered_command_is_delivered_once(django_capture_on_commit_callbacks):
    user_id = make_user()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        row = publish(
            SendRequested(
                message_id=uuid.uuid4(),
                recipient_user_id=user_id,
                channels=["in_app"],
                in_app_body="<p>once</p>",
            )
        )
    assert InboxItem.objects.filter(user_id=user_id).count() == 1
    # The bus redelivers (a broker retry): the inbox says "seen".
    assert apply("notifications.on_send_requested", row.message) is Outcome.DUPLICATE
    # Even past the inbox (a replay under another handler name), the message's own
    # uniqueness holds: no second notification, delivery or inbox item.
    with django_capture_on_commit_callbacks(execute=True):
        on_send_requested(SendRequested.model_validate({**row.message["payload"]}))
    assert Notification.objects.count() == 1
    assert Delivery.objects.count() == 1
    assert InboxItem.objects.filter(user_id=user_id).count() == 1


def test_the_same_idempotency_key_is_one_message(django_capture_on_commit_callbacks):
    user_id = make_user()
    ids = {
        _send(
            django_capture_on_commit_callbacks,
            channels=["in_app"],
            recipient_user_id=user_id,
            in_app_body="<p>hello</p>",
            idempotency_key="welcome-campaign/42",
        )
        for _ in range(2)
    }
    assert len(ids) == 1
    assert InboxItem.objects.filter(user_id=user_id).count() == 1


def test_one_bad_command_is_recorded_and_does_not_block_the_others(
    django_capture_on_commit_callbacks,
):
    user_id = make_user()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        # Published straight to the bus (another producer, no facade validation).
        publish(
            SendRequested(message_id=uuid.uuid4(), channels=["sms"], phone="12345", sms_body="x")
        )
        publish(SendRequested(message_id=uuid.uuid4(), channels=["pigeon"], email="a@example.com"))
        publish(SendRequested(message_id=uuid.uuid4(), channels=["in_app"], in_app_body="<p>x</p>"))
        publish(
            SendRequested(
                message_id=uuid.uuid4(),
                recipient_user_id=user_id,
                channels=["in_app"],
                in_app_body="<p>fine</p>",
            )
        )
    rejected = Notification.objects.filter(status=Notification.Status.REJECTED)
    errors = sorted(n.error for n in rejected)
    assert len(errors) == 3
    assert any("phone: Not an E.164 number" in e for e in errors)
    assert any("Unknown channel 'pigeon'" in e for e in errors)
    assert any("recipient_user_id" in e for e in errors)
    assert not Delivery.objects.filter(notification__in=rejected).exists()
    assert InboxItem.objects.get(user_id=user_id).body_html == "<p>fine</p>"


def test_a_body_that_sanitises_to_nothing_is_rejected(django_capture_on_commit_callbacks):
    user_id = make_user()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(
            SendRequested(
                message_id=uuid.uuid4(),
                recipient_user_id=user_id,
                channels=["in_app"],
                in_app_body="<script>alert(1)</script>",
            )
        )
    notification = Notification.objects.get()
    assert notification.status == Notification.Status.REJECTED
    assert "in_app_body: Required" in notification.error


def test_preferences_decide_channels_but_never_for_security(django_capture_on_commit_callbacks):
    user_id = make_user()
    email = profile_email(user_id)
    preferences_update(user_id=user_id, channels={"account": {"email": False}}, phone=PHONE)
    # A stray stored row cannot switch security off either (the API refuses to write one).
    ChannelPreference.objects.create(
        user_id=user_id, category=Category.SECURITY, channel=Channel.EMAIL, enabled=False
    )
    common = {
        "channels": ["email", "in_app", "sms"],
        "recipient_user_id": user_id,
        "email": email,
        "phone": PHONE,
        "sms_body": "x",
        "in_app_body": "<p>x</p>",
        "email_subject": "s",
        "email_body": "<p>x</p>",
    }
    account = _send(django_capture_on_commit_callbacks, category="account", **common)
    security = _send(django_capture_on_commit_callbacks, category="security", **common)
    marketing = _send(django_capture_on_commit_callbacks, category="marketing", **common)

    def statuses(message_id):
        return {
            d.channel: (d.status, d.status_reason)
            for d in Delivery.objects.filter(source_event_id=message_id)
        }

    assert statuses(account) == {
        "email": ("skipped", "preference_off"),
        "in_app": ("sent", ""),
        "sms": ("skipped", "preference_off"),  # account SMS is off by default
    }
    assert {c: s for c, (s, _) in statuses(security).items()} == {
        "email": "sent",
        "in_app": "sent",
        "sms": "sent",
    }
    # Marketing is opt-in: nothing until the user says yes.
    assert {s for s, _ in statuses(marketing).values()} == {"skipped"}
    preferences_update(user_id=user_id, channels={"marketing": {"email": True}})
    again = _send(django_capture_on_commit_callbacks, category="marketing", **common)
    assert statuses(again)["email"] == ("sent", "")


def test_missing_addresses_and_template_errors_fail_only_their_channel(
    django_capture_on_commit_callbacks,
):
    user_id = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        notification = message_accept(
            source_event_id=uuid.uuid4(),
            source="test.event",
            kind="welcome",
            category=Category.ACCOUNT,
            recipient=Recipient(user_id=user_id, email="", phone=""),
            channels=[Channel.EMAIL, Channel.IN_APP, Channel.SMS],
            bodies=Bodies(in_app_html="<p>hi</p>", sms_text="hi"),
            render_errors={Channel.SMS: "TemplateSyntaxError: boom"},
        )
    deliveries = {d.channel: d for d in notification.deliveries.all()}
    assert (deliveries["email"].status, deliveries["email"].status_reason) == (
        "skipped",
        "no_address",
    )
    assert (deliveries["sms"].status, deliveries["sms"].status_reason) == (
        "failed",
        "template_error",
    )
    assert deliveries["sms"].last_error == "TemplateSyntaxError: boom"
    assert deliveries["in_app"].status == "sent"


def test_facade_reads():
    user_id = make_user()
    assert facade.unread_count(user_id=user_id) == 0
    assert facade.channel_enabled(user_id=user_id, category="orders", channel="sms") is True
    assert facade.channel_enabled(user_id=user_id, category="marketing", channel="email") is False
    assert facade.channel_enabled(user_id=user_id, category="nope", channel="email") is False
