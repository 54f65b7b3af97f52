"""A user's notification preferences: channels per category, language, SMS number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction

from bazaar_platform.api.errors import ApplicationError
from contexts.notifications.models import Category, Channel, ChannelPreference, RecipientSettings
from contexts.notifications.selectors import LOCKED_CATEGORIES
from contexts.notifications.services.sms_text import is_e164


def _validate(
    channels: Mapping[str, Any] | None, locale: str | None, phone: str | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if channels is not None:
        if not isinstance(channels, Mapping):
            add("channels", "An object: {category: {channel: true|false}}.")
        else:
            for category, row in channels.items():
                name = f"channels.{str(category)[:30]}"
                if category not in Category.values:
                    add(name, f"Unknown category; one of {Category.values}.")
                    continue
                if not isinstance(row, Mapping):
                    add(name, "An object: {channel: true|false}.")
                    continue
                for channel, enabled in row.items():
                    if channel not in Channel.values:
                        add(
                            name, f"Unknown channel {str(channel)[:20]!r}; one of {Channel.values}."
                        )
                    elif not isinstance(enabled, bool):
                        add(f"{name}.{channel}", "Must be true or false.")
                    elif category in LOCKED_CATEGORIES and not enabled:
                        add(name, "Security notifications cannot be switched off.")
    if locale is not None and locale != "" and locale not in {c for c, _ in settings.LANGUAGES}:
        add("locale", f"One of {[c for c, _ in settings.LANGUAGES]}, or empty for the default.")
    if phone is not None and phone != "" and not is_e164(phone):
        add("phone", "Not an E.164 number ('+' and 2 to 15 digits, no spaces), e.g. +447700900123.")
    return errors


def preferences_update(
    *,
    user_id: UUID,
    channels: Mapping[str, Any] | None = None,
    locale: str | None = None,
    phone: str | None = None,
) -> None:
    """Apply the given changes (``None`` = leave as is); all or nothing.

    Security categories refuse being switched off (400 ``preference_locked``).
    """
    errors = _validate(channels, locale, phone)
    if errors:
        locked = any("cannot be switched off" in m for ms in errors.values() for m in ms)
        raise ApplicationError(
            next(iter(errors.values()))[0],
            code="preference_locked" if locked else "validation_error",
            fields=errors,
        )
    with transaction.atomic():
        for category, row in (channels or {}).items():
            if category in LOCKED_CATEGORIES:
                continue  # only "true" got here: nothing to store
            for channel, enabled in row.items():
                ChannelPreference.objects.update_or_create(
                    user_id=user_id,
                    category=category,
                    channel=channel,
                    defaults={"enabled": enabled},
                )
        if locale is not None or phone is not None:
            current, _ = RecipientSettings.objects.select_for_update().get_or_create(
                user_id=user_id
            )
            fields = []
            if locale is not None:
                current.locale = locale
                fields.append("locale")
            if phone is not None:
                current.phone = phone
                fields.append("phone")
            current.save(update_fields=[*fields, "updated_at"])
