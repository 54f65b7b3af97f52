"""E-mail through Django's e-mail framework (``EMAIL_URL``: SMTP, console, ...).

SMTP answers are sorted like SMS provider answers: a 5xx reply (mailbox unknown,
policy refusal) is permanent; a 4xx reply, a dropped connection or a timeout is worth
a retry.
"""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from contexts.notifications.services.providers import ProviderError, SendResult


def _domain() -> str:
    sender = settings.DEFAULT_FROM_EMAIL
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] or "bazaar.local"


def send_email(*, to: str, subject: str, text: str, html: str) -> SendResult:
    """Send one message with a text part and an HTML alternative; returns its Message-ID."""
    message_id = make_msgid(domain=_domain())
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id},
    )
    if html:
        message.attach_alternative(html, "text/html")
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    try:
        sent = get_connection(fail_silently=False).send_messages([message])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = {code for code, _ in exc.recipients.values()}
        raise ProviderError(
            f"recipient refused: {_describe(exc.recipients)}",
            permanent=all(code >= 500 for code in codes),
            response={"backend": backend, "refused": _describe(exc.recipients)},
        ) from exc
    except smtplib.SMTPResponseException as exc:
        detail = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise ProviderError(
            f"SMTP {exc.smtp_code}: {detail}",
            permanent=exc.smtp_code >= 500,
            response={"backend": backend, "smtp_code": exc.smtp_code, "smtp_error": detail[:500]},
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:  # disconnects, refused connections, timeouts
        raise ProviderError(
            f"{type(exc).__name__}: {exc}",
            permanent=False,
            response={"backend": backend, "error": type(exc).__name__},
        ) from exc
    if not sent:
        raise ProviderError(
            "the e-mail backend sent nothing", permanent=False, response={"backend": backend}
        )
    return SendResult(message_id=message_id, response={"backend": backend, "sent": sent})


def _describe(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{address}: {code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
        for address, (code, reply) in recipients.items()
    )[:500]
