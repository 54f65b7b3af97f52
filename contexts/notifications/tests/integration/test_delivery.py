"""Delivery attempts against real peers: a real SMTP server (aiosmtpd) and a local
server speaking Twilio's Messages API. Every attempt is logged with the provider's
answer; permanent failures stop at once, transient ones back off exponentially."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from contexts.notifications import services
from contexts.notifications.models import Category, Channel, Delivery, DeliveryAttempt
from contexts.notifications.services import Bodies, Recipient, message_accept
from contexts.notifications.services.providers import (
    ConsoleSmsProvider,
    ProviderError,
    TwilioSmsProvider,
)
from contexts.notifications.tests.fakes import (
    INVALID_NUMBER,
    TWILIO_SID,
    TWILIO_TOKEN,
    fake_twilio,
    smtp_server,
)
from tests.conftest import free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PHONE = "+447700900123"


@pytest.fixture
def smtp(settings, smtp_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    with smtp_server(smtp_port) as box:
        yield box


@pytest.fixture
def twilio(settings):
    with fake_twilio() as fake:
        settings.SMS_BACKEND = "twilio"
        settings.TWILIO_ACCOUNT_SID = TWILIO_SID
        settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
        settings.TWILIO_FROM_NUMBER = "+15005550006"
        settings.TWILIO_API_BASE_URL = fake.url
        yield fake


def _deliver(capture, channel: str, *, email: str = "", phone: str = "", sms: str = "Hi there"):
    with capture(execute=True):
        notification = message_accept(
            source_event_id=uuid.uuid4(),
            source="test.event",
            kind="test_kind",
            category=Category.ORDERS,
            recipient=Recipient(email=email, phone=phone),
            channels=[channel],
            bodies=Bodies(
                subject="Your order",
                email_html="<p>Your <b>order</b> shipped.</p>",
                email_text="Your order shipped.",
                sms_text=sms,
            ),
        )
    return notification.deliveries.get()


def _attempts(delivery: Delivery) -> list[DeliveryAttempt]:
    return list(delivery.attempt_log.order_by("number"))


# --- e-mail -------------------------------------------------------------------------------
def test_email_over_real_smtp(smtp, django_capture_on_commit_callbacks):
    delivery = _deliver(django_capture_on_commit_callbacks, Channel.EMAIL, email="ada@example.com")
    assert delivery.status == "sent"
    assert smtp.envelopes == [("no-reply@bazaar.local", ["ada@example.com"])]
    received = smtp.messages[0]
    assert received["Subject"] == "Your order"
    assert received["Message-ID"] == delivery.provider_message_id
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in received.walk()
        if not p.is_multipart()
    }
    assert parts["text/plain"].strip() == "Your order shipped."
    assert "<b>order</b>" in parts["text/html"]
    [attempt] = _attempts(delivery)
    assert attempt.outcome == "success" and attempt.response == {"backend": "smtp", "sent": 1}


def test_a_refused_mailbox_is_a_permanent_failure(smtp, django_capture_on_commit_callbacks):
    smtp.refuse["gone@example.com"] = "550 5.1.1 No such user here"
    delivery = _deliver(django_capture_on_commit_callbacks, Channel.EMAIL, email="gone@example.com")
    assert (delivery.status, delivery.status_reason) == ("failed", "rejected_by_provider")
    [attempt] = _attempts(delivery)
    assert attempt.outcome == "permanent_error"
    assert "550" in attempt.response["refused"] and "No such user" in attempt.error
    assert attempt.retry_in_seconds is None


def test_a_busy_smtp_server_is_retried_with_exponential_backoff(
    smtp, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS = 30
    smtp.busy_next = 2
    delivery = _deliver(django_capture_on_commit_callbacks, Channel.EMAIL, email="ada@example.com")
    attempts = _attempts(delivery)
    assert [a.outcome for a in attempts] == ["transient_error", "transient_error", "success"]
    assert [a.retry_in_seconds for a in attempts] == [30.0, 60.0, None]
    assert attempts[0].response["smtp_code"] == 451
    assert delivery.status == "sent" and delivery.attempts == 3
    assert len(smtp.messages) == 1


def test_an_unreachable_smtp_server_gives_up_after_max_attempts(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 4
    settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS = 10
    settings.NOTIFICATIONS_RETRY_BACKOFF_MAX_SECONDS = 35
    delivery = _deliver(django_capture_on_commit_callbacks, Channel.EMAIL, email="ada@example.com")
    attempts = _attempts(delivery)
    assert [a.retry_in_seconds for a in attempts] == [10.0, 20.0, 35.0, None]  # capped
    assert {a.outcome for a in attempts} == {"transient_error"}
    assert "ConnectionRefusedError" in attempts[0].error
    assert (delivery.status, delivery.status_reason) == ("failed", "gave_up_after_4_attempts")


# --- SMS ----------------------------------------------------------------------------------
def test_sms_through_twilios_messages_api(twilio, django_capture_on_commit_callbacks):
    delivery = _deliver(django_capture_on_commit_callbacks, Channel.SMS, phone=PHONE)
    assert delivery.status == "sent"
    [request] = twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request["content_type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {"To": PHONE, "From": "+15005550006", "Body": "Hi there"}
    assert delivery.provider_message_id.startswith("SM")
    [attempt] = _attempts(delivery)
    assert attempt.provider == "twilio"
    assert attempt.response["http_status"] == 201 and attempt.response["status"] == "queued"


def test_an_invalid_number_is_a_permanent_failure_with_twilios_error(
    twilio, django_capture_on_commit_callbacks
):
    delivery = _deliver(django_capture_on_commit_callbacks, Channel.SMS, phone=INVALID_NUMBER)
    assert (delivery.status, delivery.status_reason) == ("failed", "rejected_by_provider")
    [attempt] = _attempts(delivery)
    assert attempt.outcome == "permanent_error"
    assert attempt.response["code"] == 21211
    assert attempt.response["more_info"] == "https://www.twilio.com/docs/errors/21211"
    assert "error 21211" in attempt.error


def test_a_twilio_outage_is_retried(twilio, django_capture_on_commit_callbacks):
    twilio.fail_next = 1
    delivery = _deliver(django_capture_on_commit_callbacks, Channel.SMS, phone=PHONE)
    assert [a.outcome for a in _attempts(delivery)] == ["transient_error", "success"]
    assert _attempts(delivery)[0].response["http_status"] == 503
    assert delivery.status == "sent"


def test_twilio_provider_errors_are_classified():
    with fake_twilio() as fake:
        wrong_password = TwilioSmsProvider(
            account_sid=TWILIO_SID, auth_token="nope", from_number="+15005550006", base_url=fake.url
        )
        with pytest.raises(ProviderError) as caught:
            wrong_password.send(to=PHONE, body="x")
        assert caught.value.permanent and caught.value.response["code"] == 20003
    unreachable = TwilioSmsProvider(
        account_sid=TWILIO_SID,
        auth_token=TWILIO_TOKEN,
        from_number="+15005550006",
        base_url=f"http://127.0.0.1:{free_port()}",
        timeout=2,
    )
    with pytest.raises(ProviderError) as caught:
        unreachable.send(to=PHONE, body="x")
    assert not caught.value.permanent
    unconfigured = TwilioSmsProvider(account_sid="", auth_token="", from_number="")
    with pytest.raises(ProviderError) as caught:
        unconfigured.send(to=PHONE, body="x")
    assert caught.value.permanent and "not configured" in str(caught.value)


def test_console_provider_prints_the_parts():
    out = io.StringIO()
    result = ConsoleSmsProvider(stream=out).send(to=PHONE, body="€" * 100)
    assert result.response == {"encoding": "GSM-7", "segments": 2}
    assert "SMS to +447700900123 (GSM-7, 2 part(s))" in out.getvalue()


# --- staff retries and the sweep ----------------------------------------------------------
def test_staff_can_retry_a_delivery_that_gave_up(
    settings, smtp, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    smtp.busy_next = 2
    delivery = _deliver(django_capture_on_commit_callbacks, Channel.EMAIL, email="ada@example.com")
    assert delivery.status == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        assert services.delivery_retry(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert [a.number for a in _attempts(delivery)] == [1, 2, 3]
    assert not services.delivery_retry(delivery_id=delivery.pk)  # not failed any more


def test_a_message_that_is_itself_wrong_is_not_retried(django_capture_on_commit_callbacks):
    delivery = _deliver(
        django_capture_on_commit_callbacks, Channel.SMS, phone=PHONE, sms="ж" * 1000
    )
    assert (delivery.status, delivery.status_reason) == ("failed", "sms_too_long")
    assert not services.delivery_retry(delivery_id=delivery.pk)


def test_the_sweep_resends_deliveries_whose_task_was_lost(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the task never goes out
        notification = message_accept(
            source_event_id=uuid.uuid4(),
            source="test.event",
            kind="test_kind",
            category=Category.ORDERS,
            recipient=Recipient(phone=PHONE),
            channels=[Channel.SMS],
            bodies=Bodies(sms_text="lost"),
        )
    delivery = notification.deliveries.get()
    assert delivery.status == "pending"
    assert services.deliveries_resend_stuck() == 0  # too recent to be called lost
    Delivery.objects.filter(pk=delivery.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert services.deliveries_resend_stuck() == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_a_scheduled_retry_is_not_jumped_by_a_duplicate_task():
    notification = message_accept(
        source_event_id=uuid.uuid4(),
        source="test.event",
        kind="test_kind",
        category=Category.ORDERS,
        recipient=Recipient(phone=PHONE),
        channels=[Channel.SMS],
        bodies=Bodies(sms_text="later"),
    )
    delivery = notification.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert services.delivery_attempt(delivery_id=delivery.pk).status == "not_due"
    assert not DeliveryAttempt.objects.exists()
    assert services.delivery_attempt(delivery_id=uuid.uuid4()).status == "missing"
