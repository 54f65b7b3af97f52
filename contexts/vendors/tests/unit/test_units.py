"""Unit tests (no database): logo checks, the request hash, event payloads."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from bazaar_platform.events.registry import decode
from contexts.vendors.events import ALL_EVENTS
from contexts.vendors.services.logos import InvalidLogoError, LogoTooLargeError, logo_check
from contexts.vendors.services.onboarding import RegistrationRequest, request_hash
from contexts.vendors.services.vendors import StoreInput

pytestmark = pytest.mark.unit


def _image(fmt: str, size: tuple[int, int] = (16, 16)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, "green").save(buffer, fmt)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_accepted_logo_formats(fmt, ext, settings):
    data = _image(fmt)
    checked = logo_check(data, size=len(data.getvalue()))
    assert (checked.extension, checked.width, checked.height) == (ext, 16, 16)
    assert data.tell() == 0


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"GIF89a not really",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"%PDF-1.7",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 20,
    ],
)
def test_refused_logo_payloads(payload, settings):
    with pytest.raises(InvalidLogoError):
        logo_check(io.BytesIO(payload), size=len(payload))


def test_gif_is_refused_by_type(settings):
    data = _image("GIF")
    with pytest.raises(InvalidLogoError, match="PNG, JPEG or WebP"):
        logo_check(data, size=len(data.getvalue()))


def test_size_and_pixel_limits(settings):
    settings.VENDORS_LOGO_MAX_BYTES = 10
    data = _image("PNG")
    with pytest.raises(LogoTooLargeError):
        logo_check(data, size=len(data.getvalue()))
    settings.VENDORS_LOGO_MAX_BYTES = 10**6
    settings.VENDORS_LOGO_MAX_PIXELS = 100
    with pytest.raises(LogoTooLargeError, match="pixels"):
        logo_check(_image("PNG", (11, 10)), size=500)


def _request(**overrides: Any) -> RegistrationRequest:
    fields: dict[str, Any] = {
        "legal_name": "Acme",
        "plan_code": "growth",
        "store": StoreInput(name="Acme", slug="acme", currency="EUR"),
        "email": "a@example.test",
        "full_name": "A",
        "password": "secret-one",
    }
    fields.update(overrides)
    return RegistrationRequest(**fields)


def test_the_request_hash_covers_the_body_and_the_caller(settings):
    base = request_hash(_request(), None)
    assert base == request_hash(_request(), None)
    assert base != request_hash(_request(password="secret-two"), None)
    assert base != request_hash(
        _request(store=StoreInput(name="Acme", slug="acme2", currency="EUR")), None
    )
    assert base != request_hash(_request(), uuid.uuid4())
    assert "secret-one" not in base


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.event_type)
def test_events_round_trip_through_json(cls):
    values: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        if name in ("event_id", "occurred_at"):
            continue
        annotation = info.annotation
        values[name] = {
            uuid.UUID: uuid.uuid4(),
            str: "x",
            int: 3,
            bool: True,
            datetime: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            list[str]: ["a", "b"],
            list[dict[str, str | int]]: [{"listing_id": "x", "quantity": 2}],
        }[annotation]
    event = cls(**values)
    message = json.loads(json.dumps(event.to_message()))
    assert message["event_type"].startswith("vendors.")
    assert decode(message) == event
