"""SMS providers behind one interface: console (prints) and Twilio (Messages API).

``SMS_BACKEND`` picks one: ``console``, ``twilio``, or a dotted path to a class with
the :class:`SmsProvider` shape. A provider either returns an :class:`SendResult` or
raises :class:`ProviderError` saying whether trying again can help.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
import structlog
from django.conf import settings
from django.utils.module_loading import import_string

from contexts.notifications.services.sms_text import split_sms

log = structlog.get_logger("bazaar.notifications.sms")


@dataclass(frozen=True)
class SendResult:
    message_id: str
    response: dict[str, Any] = field(default_factory=dict)


class ProviderError(Exception):
    """A send that failed. ``permanent``: the same request will fail again (bad number,
    refused credentials); otherwise it is worth retrying (timeouts, 5xx, 429)."""

    def __init__(
        self, message: str, *, permanent: bool, response: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.response = response or {}


class SmsProvider(Protocol):
    name: str

    def send(self, *, to: str, body: str) -> SendResult:
        """Send ``body`` to the E.164 number ``to``."""


class ConsoleSmsProvider:
    """Writes each SMS (and how it splits into parts) to stdout: the embedded default."""

    name = "console"

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, *, to: str, body: str) -> SendResult:
        split = split_sms(body)
        self.stream.write(
            f"--- SMS to {to} ({split.encoding}, {split.segments} part(s)) ---\n{body}\n---\n"
        )
        self.stream.flush()
        return SendResult(
            message_id="", response={"encoding": split.encoding, "segments": split.segments}
        )


# Twilio answers 4xx with {"code", "message", "more_info", "status"}. These codes
# are about the request itself (the number, the content): never worth retrying.
# Anything 5xx, 429 or a network failure is. Other 4xx (e.g. 20003 bad credentials)
# are permanent too: retrying will not fix configuration; staff retry from the admin.
TWILIO_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class TwilioSmsProvider:
    """Twilio's Messages API over plain HTTP: ``POST /2010-04-01/Accounts/{sid}/Messages.json``
    with HTTP basic auth (account SID, auth token) and form fields ``To``, ``From``, ``Body``.
    Twilio splits a long body into concatenated parts itself."""

    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        from_number: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.account_sid = account_sid if account_sid is not None else settings.TWILIO_ACCOUNT_SID
        self.auth_token = auth_token if auth_token is not None else settings.TWILIO_AUTH_TOKEN
        self.from_number = from_number if from_number is not None else settings.TWILIO_FROM_NUMBER
        self.base_url = (base_url or settings.TWILIO_API_BASE_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.TWILIO_TIMEOUT_SECONDS
        self.session = session or requests.Session()

    def send(self, *, to: str, body: str) -> SendResult:
        if not (self.account_sid and self.auth_token and self.from_number):
            raise ProviderError(
                "Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER)",
                permanent=True,
            )
        url = f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        try:
            response = self.session.post(
                url,
                data={"To": to, "From": self.from_number, "Body": body},
                auth=(self.account_sid, self.auth_token),
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise ProviderError(
                f"Twilio unreachable: {type(exc).__name__}: {exc}",
                permanent=False,
                response={"network_error": type(exc).__name__},
            ) from exc
        try:
            payload: Any = response.json()
        except ValueError:
            payload = {"body": response.text[:1000]}
        if not isinstance(payload, dict):
            payload = {"body": str(payload)[:1000]}
        recorded = {"http_status": response.status_code, **_keep(payload)}
        if 200 <= response.status_code < 300:
            sid = str(payload.get("sid", ""))
            if not sid:
                raise ProviderError(
                    "Twilio accepted the message but returned no sid",
                    permanent=False,
                    response=recorded,
                )
            return SendResult(message_id=sid, response=recorded)
        message = f"Twilio {response.status_code}"
        if "code" in payload:
            message += f" (error {payload.get('code')}): {payload.get('message', '')}"
        raise ProviderError(
            message,
            permanent=response.status_code not in TWILIO_RETRYABLE_STATUS,
            response=recorded,
        )


def _keep(payload: dict[str, Any]) -> dict[str, Any]:
    """The parts of Twilio's answer worth keeping on the attempt row."""
    keys = ("sid", "status", "code", "message", "more_info", "error_code", "error_message", "body")
    return {k: payload[k] for k in keys if k in payload}


def get_sms_provider() -> SmsProvider:
    backend = settings.SMS_BACKEND
    if backend == "console":
        return ConsoleSmsProvider()
    if backend == "twilio":
        return TwilioSmsProvider()
    provider: SmsProvider = import_string(backend)()
    return provider
