"""Reactions to other contexts' events: each is a small mapping (event -> kind,
category, channels, recipients resolved through the auth facade)."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.db import transaction
from rest_framework.test import APIClient

from bazaar_platform.events import publish
from bazaar_platform.events.consumer import Outcome, apply
from bazaar_platform.events.models import DeadLetter
from bazaar_platform.events.registry import subscriptions_of_context
from contexts.auth import events as auth_events
from contexts.auth import facade as auth
from contexts.notifications.handlers import REACTIONS
from contexts.notifications.models import Category, Delivery, InboxItem, Notification
from contexts.notifications.services import preferences_update
from contexts.notifications.tests.conftest import PASSWORD, login, make_user, new_email

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _kinds(user_id):
    """Kinds sent to ``user_id`` besides the welcome its registration triggers."""
    kinds = Notification.objects.filter(recipient_user_id=user_id).exclude(kind="welcome")
    return sorted(kinds.values_list("kind", flat=True))


def test_every_reaction_is_its_own_registered_handler():
    names = {s.handler_name for s in subscriptions_of_context("notifications")}
    for reaction in REACTIONS:
        assert f"notifications.{reaction.handler_name}" in names
    assert "notifications.on_send_requested" in names
    assert len({r.handler_name for r in REACTIONS}) == len(REACTIONS)


def test_registration_sends_a_welcome_by_email_and_in_app(django_capture_on_commit_callbacks):
    email = new_email()
    with django_capture_on_commit_callbacks(execute=True):
        user_id = auth.user_create_or_get(
            email=email, full_name="<script>alert(1)</script>", password="a-long-passphrase-42"
        )
    assert Notification.objects.get(recipient_user_id=user_id).kind == "welcome"
    item = InboxItem.objects.get(user_id=user_id)
    assert "&lt;script&gt;" in item.body_html and "<script>" not in item.body_html
    assert "Confirm your e-mail address" in item.body_html  # not verified yet
    assert item.category == Category.ACCOUNT
    welcome = [m for m in mail.outbox if m.subject == "Welcome to Bazaar"]
    assert len(welcome) == 1 and welcome[0].to == [email]
    assert "<script>alert(1)</script>" in welcome[0].body  # the text part is plain text
    html = welcome[0].alternatives[0][0]
    assert "&lt;script&gt;" in html and "<script>" not in html
    # The auth context still sends its own confirmation link.
    assert any("Confirm your Bazaar e-mail" in m.subject for m in mail.outbox)


def test_messages_use_the_language_the_user_chose(django_capture_on_commit_callbacks):
    user_id = make_user(full_name="Amélie")
    preferences_update(user_id=user_id, locale="fr")
    with django_capture_on_commit_callbacks(execute=True):
        auth.role_grant(user_id=user_id, role="vendor")
    notification = Notification.objects.get(recipient_user_id=user_id, kind="vendor_role_granted")
    assert notification.locale == "fr"
    assert notification.subject == "Votre compte vendeur est actif"
    assert "Bonjour Amélie," in notification.email_text
    assert "Votre compte vendeur est actif." in notification.in_app_html
    assert notification.category == Category.VENDOR_OPERATIONS


def test_reactions_filter_on_the_event(django_capture_on_commit_callbacks):
    user_id = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        auth.role_grant(user_id=user_id, role="admin")
    assert _kinds(user_id) == ["admin_role_granted"]
    granted = Notification.objects.get(recipient_user_id=user_id, kind="admin_role_granted")
    assert granted.category == Category.SECURITY
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(
            auth_events.UserUpdated(
                user_id=user_id,
                changed=["full_name"],
                is_active=True,
                email_verified=False,
                customer_status="pending",
                vendor_status="none",
            )
        )
    assert _kinds(user_id) == ["admin_role_granted"]  # a name change is not news
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(
            auth_events.UserUpdated(
                user_id=user_id,
                changed=["email_verified", "customer_status"],
                is_active=True,
                email_verified=True,
                customer_status="active",
                vendor_status="none",
            )
        )
    assert _kinds(user_id) == ["admin_role_granted", "email_verified"]
    verified = Notification.objects.get(recipient_user_id=user_id, kind="email_verified")
    assert [d.channel for d in verified.deliveries.all()] == ["in_app"]


def test_deactivation_mail_is_a_security_message_that_cannot_be_switched_off(
    django_capture_on_commit_callbacks,
):
    user_id = make_user()
    preferences_update(user_id=user_id, channels={"account": {"email": False, "in_app": False}})
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(auth_events.UserDeactivated(user_id=user_id, reason="fraud"))
    notification = Notification.objects.get(recipient_user_id=user_id, kind="account_deactivated")
    assert [(d.channel, d.status) for d in notification.deliveries.all()] == [("email", "sent")]
    assert any(m.subject == "Your Bazaar account has been deactivated" for m in mail.outbox)


def test_an_event_about_an_unknown_user_is_a_no_op(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(auth_events.RoleGranted(user_id=uuid.uuid4(), role="vendor", granted_by=None))
    assert not Notification.objects.exists()
    assert not DeadLetter.objects.filter(context="notifications").exists()


def test_a_redelivered_event_notifies_once(django_capture_on_commit_callbacks):
    user_id = make_user()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        row = publish(auth_events.RoleGranted(user_id=user_id, role="vendor", granted_by=None))
    handler = "notifications.on_auth__role_granted__vendor_role_granted"
    assert apply(handler, row.message) is Outcome.DUPLICATE
    assert Notification.objects.filter(kind="vendor_role_granted").count() == 1
    assert Delivery.objects.filter(kind="vendor_role_granted").count() == 2


def _login_from(email: str, user_agent: str) -> None:
    response = APIClient().post(
        "/api/v1/auth/login",
        {"email": email, "password": PASSWORD},
        format="json",
        HTTP_USER_AGENT=user_agent,
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 200, response.content


def test_a_login_from_a_new_device_is_a_security_notice_a_known_one_is_not(
    django_capture_on_commit_callbacks,
):
    email = new_email()
    user_id = make_user(email=email)
    # Security notices ignore preferences, even a user who switched account mail off.
    preferences_update(user_id=user_id, channels={"account": {"email": False, "in_app": False}})
    with django_capture_on_commit_callbacks(execute=True):
        _login_from(email, "Firefox/140.0 (first device)")  # the first log-in: nothing to compare
        _login_from(email, "Firefox/140.0 (first device)")  # known device
    assert _kinds(user_id) == []
    with django_capture_on_commit_callbacks(execute=True):
        _login_from(email, "Safari/19 <b>iPhone</b>")
    notice = Notification.objects.get(recipient_user_id=user_id, kind="new_device_login")
    assert notice.category == Category.SECURITY
    assert "Safari/19 &lt;b&gt;iPhone&lt;/b&gt;" in notice.in_app_html
    assert "203.0.113.7" in notice.email_text
    assert sorted(d.channel for d in notice.deliveries.all()) == ["email", "in_app"]
    with django_capture_on_commit_callbacks(execute=True):
        _login_from(email, "Safari/19 <b>iPhone</b>")  # now known
    assert _kinds(user_id) == ["new_device_login"]


def test_a_password_change_is_a_security_notice(django_capture_on_commit_callbacks):
    email = new_email()
    user_id = make_user(email=email)
    with django_capture_on_commit_callbacks(execute=True):
        client = APIClient()
        tokens = login(email)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        response = client.post(
            "/api/v1/auth/password/change",
            {"current_password": PASSWORD, "new_password": "another-long-passphrase-77"},
            format="json",
        )
        assert response.status_code in (200, 204), response.content
    notice = Notification.objects.get(recipient_user_id=user_id, kind="password_changed")
    assert notice.category == Category.SECURITY
    assert notice.subject == "Your Bazaar password was changed"
