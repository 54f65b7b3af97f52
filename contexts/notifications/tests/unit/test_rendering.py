"""Templates per kind and channel: every kind in every language, escaping of
user-supplied values, per-channel failures, sanitising of sender-written HTML."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from contexts.notifications.handlers import REACTIONS
from contexts.notifications.models import Channel
from contexts.notifications.services.rendering import (
    Money,
    available_locale,
    render_kind,
    sanitize_email_html,
    sanitize_in_app_html,
)
from contexts.notifications.services.sms_text import split_sms

pytestmark = pytest.mark.unit

ALL = [Channel.EMAIL, Channel.IN_APP, Channel.SMS]
KINDS = sorted({r.kind for r in REACTIONS})
TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates" / "notifications"
SAMPLE = {
    "recipient_name": "Ada Lovelace",
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "needs_verification": True,
    "link": "https://bazaar.example/notifications/",
    "plan": "growth",
    "period_end": datetime(2026, 12, 29, tzinfo=UTC),
    "grace_until": datetime(2026, 12, 6, tzinfo=UTC),
    "reactivated": False,
    "amount": Money(1250, "EUR"),
    "fully_refunded": True,
    "product": "Acme Phone X",
    "device": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    "ip": "203.0.113.7",
    "order_ref": "3F2A9C1B",
    "total": Money(125990, "EUR"),
    "subtotal": Money(89900, "EUR"),
    "item_count": 3,
    "items": "2 x Acme Phone X, 1 x Leather case",
    "carrier": "DHL",
    "tracking_number": "JD014600006281234567",
    "reason_text": "you cancelled it.",
    "reason": "Arrived scratched",
    "rejection_reason": "Used beyond the return policy",
    "available": 2,
    "threshold": 5,
    "rating": 4,
    "subject": "Acme Phone X",
}


def test_every_reaction_kind_has_all_five_templates():
    for kind in KINDS:
        for name in ("subject.txt", "email.html", "email.txt", "in_app.html", "sms.txt"):
            assert (TEMPLATES_DIR / kind / name).is_file(), f"{kind}/{name} is missing"


@pytest.mark.parametrize("locale", [code for code, _ in settings.LANGUAGES])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_every_channel_in_every_language(kind, locale):
    rendered = render_kind(kind=kind, channels=ALL, context=SAMPLE, locale=locale)
    assert rendered.errors == {}
    bodies = rendered.bodies
    assert bodies.subject and "\n" not in bodies.subject
    assert bodies.email_html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{locale}">' in bodies.email_html
    assert bodies.email_text and bodies.in_app_html and bodies.sms_text
    # Every SMS fits one part with a typical name.
    split = split_sms(bodies.sms_text)
    assert split.segments == 1, (kind, locale, split)


def test_the_recipients_language_is_used():
    fr = render_kind(kind="welcome", channels=ALL, context=SAMPLE, locale="fr").bodies
    de = render_kind(kind="welcome", channels=ALL, context=SAMPLE, locale="de").bodies
    en = render_kind(kind="welcome", channels=ALL, context=SAMPLE, locale="en").bodies
    assert fr.subject == "Bienvenue sur Bazaar"
    assert de.subject == "Willkommen bei Bazaar"
    assert en.subject == "Welcome to Bazaar"
    assert "Bonjour Ada Lovelace," in fr.email_html
    assert "Votre compte pour ada@example.com est prêt." in fr.email_text
    assert "Hallo Ada Lovelace," in de.email_text


@pytest.mark.parametrize(
    ("asked", "used"), [("fr", "fr"), ("fr-CA", "fr"), ("de_AT", "de"), ("pt", "en"), ("", "en")]
)
def test_unknown_locales_fall_back(asked, used):
    assert available_locale(asked) == used


def test_user_supplied_values_are_escaped_in_html_and_literal_in_text():
    evil = '<script>alert("x")</script>'
    context = {**SAMPLE, "name": evil, "recipient_name": evil, "email": "a&b@example.com"}
    bodies = render_kind(kind="welcome", channels=ALL, context=context, locale="en").bodies
    for html in (bodies.email_html, bodies.in_app_html):
        assert "<script>" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "a&amp;b@example.com" in bodies.in_app_html
    # Plain text is plain: an SMS or text e-mail showing "&lt;" would be a bug.
    assert evil in bodies.email_text
    assert "a&b@example.com" in bodies.email_text


@pytest.fixture
def broken_templates(settings, tmp_path):
    kind = tmp_path / "notifications" / "broken_kind"
    kind.mkdir(parents=True)
    (kind / "in_app.html").write_text("<p>{{ name }}</p>")
    (kind / "sms.txt").write_text("{% if %}")  # a syntax error
    # no e-mail templates at all
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    return "broken_kind"


def test_a_failing_channel_is_reported_and_the_others_still_render(broken_templates):
    rendered = render_kind(kind=broken_templates, channels=ALL, context={"name": "Bo"}, locale="en")
    assert set(rendered.errors) == {Channel.EMAIL, Channel.SMS}
    assert "TemplateDoesNotExist" in rendered.errors[Channel.EMAIL]
    assert "TemplateSyntaxError" in rendered.errors[Channel.SMS]
    assert rendered.bodies.in_app_html == "<p>Bo</p>"
    assert rendered.bodies.sms_text == "" and rendered.bodies.email_html == ""


def test_unknown_kind_fails_every_channel():
    rendered = render_kind(kind="no_such_kind", channels=ALL, context={}, locale="en")
    assert set(rendered.errors) == set(ALL)


def test_sender_written_in_app_html_is_sanitised():
    dirty = (
        '<p onclick="steal()">Hi <b>there</b><script>alert(1)</script>'
        '<a href="javascript:alert(1)">x</a><a href="https://ok.example/">ok</a>'
        '<img src=x onerror=alert(1)><iframe src="https://evil"></iframe></p>'
    )
    clean = sanitize_in_app_html(dirty)
    for bad in ("onclick", "<script", "javascript:", "<img", "<iframe", "onerror"):
        assert bad not in clean
    assert "<b>there</b>" in clean
    assert 'href="https://ok.example/"' in clean


def test_sender_written_email_html_keeps_layout_and_loses_active_content():
    dirty = (
        '<table width="600" style="color:red"><tr><td style="padding:4px">Hi</td></tr></table>'
        '<form action="https://evil"><input name=x></form><script>x()</script>'
    )
    clean = sanitize_email_html(dirty)
    assert '<table width="600" style="color:red">' in clean
    assert '<td style="padding:4px">' in clean
    assert "<form" not in clean and "<input" not in clean and "<script" not in clean


@pytest.mark.parametrize(
    ("money", "locale", "text"),
    [
        (Money(123450, "EUR"), "en", "1,234.50 EUR"),
        (Money(123450, "eur"), "fr", "1\xa0234,50 EUR"),  # a no-break space
        (Money(123450, "EUR"), "de", "1.234,50 EUR"),
        (Money(1250, "JPY"), "en", "1,250 JPY"),
        (Money(1250, "KWD"), "en", "1.250 KWD"),
        (Money(-5, "USD"), "en", "-0.05 USD"),
    ],
)
def test_amounts_render_in_the_recipients_format(money, locale, text):
    from django.utils import translation

    with translation.override(locale):
        assert str(money) == text


def test_dates_and_amounts_follow_the_language():
    fr = render_kind(kind="subscription_past_due", channels=ALL, context=SAMPLE, locale="fr")
    assert "6 décembre 2026" in fr.bodies.email_text
    assert "06/12/2026" in fr.bodies.sms_text
    de = render_kind(kind="refund_succeeded", channels=ALL, context=SAMPLE, locale="de")
    assert de.bodies.subject == "Ihre Erstattung von 12,50 EUR ist unterwegs"
