"""E-mails the auth context sends (Django's e-mail framework), after commit."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction


def _send(to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def send_after_commit(*, to: str, subject: str, body: str) -> None:
    transaction.on_commit(lambda: _send(to, subject, body))


def verification_email(*, to: str, token: str) -> None:
    link = settings.AUTH_EMAIL_VERIFY_URL.format(token=token)
    send_after_commit(
        to=to,
        subject="Confirm your Bazaar e-mail address",
        body=(
            "Welcome to Bazaar.\n\nConfirm your address by opening this link:\n"
            f"{link}\n\nOr send this token to POST /api/v1/auth/verify-email:\n{token}\n"
        ),
    )


def already_registered_email(*, to: str) -> None:
    send_after_commit(
        to=to,
        subject="Someone tried to register with your e-mail address",
        body=(
            "Someone (maybe you) tried to create a Bazaar account with this address, which "
            "already has one. If it was you, log in or reset your password. If not, ignore this.\n"
        ),
    )


def password_reset_email(*, to: str, token: str) -> None:
    link = settings.AUTH_PASSWORD_RESET_URL.format(token=token)
    send_after_commit(
        to=to,
        subject="Reset your Bazaar password",
        body=(
            f"Open this link to choose a new password:\n{link}\n\n"
            f"Or send this token to POST /api/v1/auth/password/reset/confirm:\n{token}\n\n"
            "If you did not ask for this, ignore this e-mail.\n"
        ),
    )
