"""Staff see permanent failures in the admin and can retry them; the demo seed is
idempotent; the compiled translation catalogues match their sources."""

from __future__ import annotations

import io
import subprocess
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from bazaar_platform.seeding import SeedContext
from contexts.notifications.models import Category, Channel, Delivery, InboxItem
from contexts.notifications.seed import DEMO_USERS, seed_demo_notifications
from contexts.notifications.services import Bodies, Recipient, message_accept
from contexts.notifications.tests.conftest import make_user
from contexts.notifications.tests.fakes import INVALID_NUMBER, TWILIO_SID, TWILIO_TOKEN, fake_twilio

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

LOCALE = Path(__file__).resolve().parents[2] / "locale"


@pytest.fixture
def staff(admin_client):
    return admin_client  # a superuser session (staff run the admin)


def _failed_sms(settings, capture) -> Delivery:
    with fake_twilio() as fake:
        settings.SMS_BACKEND = "twilio"
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = TWILIO_SID, TWILIO_TOKEN
        settings.TWILIO_FROM_NUMBER, settings.TWILIO_API_BASE_URL = "+15005550006", fake.url
        with capture(execute=True):
            notification = message_accept(
                source_event_id=uuid.uuid4(),
                source="test.event",
                kind="test_kind",
                category=Category.ORDERS,
                recipient=Recipient(phone=INVALID_NUMBER),
                channels=[Channel.SMS],
                bodies=Bodies(sms_text="Your parcel shipped"),
            )
    return notification.deliveries.get()


def test_permanent_failures_are_listed_for_staff_with_the_providers_answer(
    staff, settings, django_capture_on_commit_callbacks
):
    delivery = _failed_sms(settings, django_capture_on_commit_callbacks)
    listing = staff.get("/admin/notifications/delivery/", {"status__exact": "failed"})
    assert listing.status_code == 200
    assert INVALID_NUMBER in listing.content.decode()
    detail = staff.get(f"/admin/notifications/delivery/{delivery.pk}/change/")
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "21211" in page and "permanent_error" in page.lower().replace(" ", "_")


def test_staff_retry_from_the_admin(staff, settings, django_capture_on_commit_callbacks):
    delivery = _failed_sms(settings, django_capture_on_commit_callbacks)
    Delivery.objects.filter(pk=delivery.pk).update(status_reason="gave_up_after_5_attempts")
    settings.SMS_BACKEND = "console"  # the provider was fixed
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/admin/notifications/delivery/",
            {"action": "retry_failed", "_selected_action": [str(delivery.pk)]},
        )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.attempt_log.count() == 2


def test_customers_cannot_open_the_admin(client):
    customer = make_user()
    client.force_login(get_user_model().objects.get(pk=customer))
    assert client.get("/admin/notifications/delivery/").status_code == 302  # to the log-in


def test_the_demo_seed_is_idempotent(django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            seed_demo_notifications(SeedContext(out=io.StringIO(), quiet=True))
    items = InboxItem.objects.all()
    # Per user: the welcome its account's creation triggered, and the two seeded ones.
    assert items.count() == 3 * len(DEMO_USERS)
    assert items.filter(read_at__isnull=False).count() == len(DEMO_USERS)
    assert {i.kind for i in items} == {"welcome", "message"}


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_compiled_catalogues_match_their_sources(language, tmp_path):
    source = LOCALE / language / "LC_MESSAGES" / "django.po"
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(source)], check=True)
    assert compiled.read_bytes() == (source.parent / "django.mo").read_bytes(), (
        f"run: msgfmt -o {source.parent / 'django.mo'} {source}"
    )
