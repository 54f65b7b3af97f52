"""Bodies of a notification kind, per channel, in the recipient's language.

Templates live in ``templates/notifications/<kind>/``:

================  ===========================================  ==========
file              what                                         escaping
================  ===========================================  ==========
``subject.txt``   e-mail subject (one line)                    none (text)
``email.html``    e-mail-safe HTML (tables, inline styles)     autoescape
``email.txt``     the e-mail's plain-text part                 none (text)
``in_app.html``   the inbox item (small HTML fragment)         autoescape
``sms.txt``       the SMS                                      none (text)
================  ===========================================  ==========

HTML templates are rendered with autoescaping forced on, so every value a user
supplied (a name, a product title) is escaped; plain-text templates with it forced
off, because ``&lt;`` in an SMS or a text e-mail is not what anybody wrote. The
rendering happens inside ``translation.override(locale)``.

Bodies other contexts send in the ``notifications.send_requested`` command are not
templates; their HTML goes through :func:`sanitize_in_app_html` /
:func:`sanitize_email_html` (nh3) before it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import nh3
import structlog
from django.conf import settings
from django.template import Context, Engine, engines
from django.utils import translation

from contexts.notifications.models import Channel

log = structlog.get_logger("bazaar.notifications.rendering")

TEMPLATE_ROOT = "notifications"
_FILES: dict[str, tuple[tuple[str, bool], ...]] = {
    # channel -> (file, is_html) in rendering order
    Channel.EMAIL: (("subject.txt", False), ("email.html", True), ("email.txt", False)),
    Channel.IN_APP: (("in_app.html", True),),
    Channel.SMS: (("sms.txt", False),),
}

IN_APP_TAGS = {"a", "b", "strong", "em", "i", "p", "br", "span", "ul", "ol", "li", "small"}
EMAIL_TAGS = IN_APP_TAGS | {
    "table", "thead", "tbody", "tr", "td", "th", "h1", "h2", "h3", "div", "img", "hr", "center",
}  # fmt: skip


class TemplateRenderError(Exception):
    """A template of ``kind`` for ``channel`` is missing or failed to render."""

    def __init__(self, kind: str, channel: str, detail: str) -> None:
        super().__init__(f"{kind}/{channel}: {detail}")
        self.kind = kind
        self.channel = channel
        self.detail = detail


@dataclass(frozen=True)
class Bodies:
    subject: str = ""
    email_html: str = ""
    email_text: str = ""
    sms_text: str = ""
    in_app_html: str = ""

    def for_channel(self, channel: str) -> str:
        return {
            Channel.EMAIL: self.email_html,
            Channel.IN_APP: self.in_app_html,
            Channel.SMS: self.sms_text,
        }[Channel(channel)]


@dataclass(frozen=True)
class Rendered:
    bodies: Bodies
    errors: dict[str, str] = field(default_factory=dict)  # channel -> why it failed


def _engine() -> Engine:
    backend = engines["django"]
    engine: Engine = backend.engine  # type: ignore[attr-defined]
    return engine


def _one_line(text: str) -> str:
    # ASCII whitespace only: a no-break space in "1 234,50 EUR" stays one.
    return re.sub(r"[ \t\r\n\f\v]+", " ", text).strip(" ")[:200]


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _sms_safe(text: str) -> str:
    """Localised numbers group digits with (narrow) no-break spaces, which GSM-7 lacks:
    one would turn the whole SMS into UCS-2 (70 characters a part instead of 160)."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def available_locale(locale: str | None) -> str:
    """``locale`` if the site speaks it (``fr-ca`` falls back to ``fr``), else the default."""
    codes = {code for code, _ in settings.LANGUAGES}
    if locale:
        wanted = locale.lower().replace("_", "-")
        if wanted in codes:
            return wanted
        if wanted.split("-")[0] in codes:
            return wanted.split("-")[0]
    return str(settings.LANGUAGE_CODE)


def render_kind(
    *, kind: str, channels: Iterable[str], context: Mapping[str, Any], locale: str
) -> Rendered:
    """Render each of ``channels`` for ``kind``; a channel whose templates fail is
    reported in ``errors`` and left empty, the others still render."""
    engine = _engine()
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    base = {"site_url": settings.SITE_URL, **context}
    with translation.override(available_locale(locale)):
        for channel in channels:
            rendered: dict[str, str] = {}
            try:
                for name, is_html in _FILES[Channel(channel)]:
                    template = engine.get_template(f"{TEMPLATE_ROOT}/{kind}/{name}")
                    rendered[name] = template.render(Context(base, autoescape=is_html))
            except Exception as exc:  # TemplateDoesNotExist, TemplateSyntaxError, a bad filter...
                detail = f"{type(exc).__name__}: {exc}"[:500]
                errors[channel] = detail
                log.warning(
                    "notification_template_failed", kind=kind, channel=channel, error=detail
                )
                continue
            for name, text in rendered.items():
                values[name] = text
    return Rendered(
        bodies=Bodies(
            subject=_one_line(values.get("subject.txt", "")),
            email_html=values.get("email.html", "").strip(),
            email_text=_tidy_text(values.get("email.txt", "")),
            sms_text=_sms_safe(_tidy_text(values.get("sms.txt", ""))),
            in_app_html=values.get("in_app.html", "").strip(),
        ),
        errors=errors,
    )


def sanitize_in_app_html(html: str) -> str:
    """Caller-supplied in-app HTML reduced to a few inline tags and safe links."""
    return nh3.clean(
        html,
        tags=IN_APP_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
    ).strip()


def sanitize_email_html(html: str) -> str:
    """Caller-supplied e-mail HTML: layout tags and inline styles kept, scripts,
    forms, frames and event handlers removed."""
    return nh3.clean(
        html,
        tags=EMAIL_TAGS,
        attributes={
            "*": {"style", "align"},
            "a": {"href", "title"},
            "img": {"src", "alt", "width", "height"},
            "table": {"width", "cellpadding", "cellspacing", "border", "role"},
            "td": {"width", "valign", "colspan"},
        },
        url_schemes={"http", "https", "mailto"},
    ).strip()


# ISO 4217 minor units that are not 2 (the rest of the active codes use 2).
_EXPONENTS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    "CLF": 4,
    "UYW": 4,
}


@dataclass(frozen=True)
class Money:
    """An amount in minor units that renders in the language active at render time
    (templates evaluate it inside ``translation.override``): "1,234.50 EUR" in English,
    "1 234,50 EUR" in French."""

    amount_minor: int
    currency: str

    def __str__(self) -> str:
        from decimal import Decimal

        from django.utils.formats import number_format

        exponent = _EXPONENTS.get(self.currency.upper(), 2)
        value = Decimal(self.amount_minor).scaleb(-exponent)
        return f"{number_format(value, decimal_pos=exponent, use_l10n=True, force_grouping=True)} {self.currency.upper()}"
