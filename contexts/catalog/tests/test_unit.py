"""Unit tests: no database. Sanitising, text extraction, value typing, image checks,
and the events' JSON round trip."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime

import pytest
from PIL import Image

from bazaar_platform.api.errors import ApplicationError
from bazaar_platform.events.registry import decode
from contexts.catalog import services
from contexts.catalog.events import (
    ProductPublished,
    ProductsMerged,
    ProductUnpublished,
    ProductUpdated,
)
from contexts.catalog.models import Attribute
from contexts.catalog.selectors import html_to_text, parse_attribute_value
from contexts.catalog.tests.conftest import image_bytes, upload

pytestmark = pytest.mark.unit


# --- description ----------------------------------------------------------------------


def test_description_keeps_formatting_and_drops_scripts_handlers_and_images():
    dirty = (
        '<p onclick="steal()">Great <b>phone</b><script>alert(1)</script></p>'
        '<img src="https://tracker.example/pixel.gif">'
        '<a href="javascript:alert(1)">bad</a> <a href="https://example.com">good</a>'
        "<style>body{display:none}</style><ul><li>one</li></ul>"
    )
    clean = services.description_sanitise(dirty)
    assert "<b>phone</b>" in clean
    assert "<ul><li>one</li></ul>" in clean
    for forbidden in ("script", "onclick", "<img", "javascript:", "<style", "display:none"):
        assert forbidden not in clean
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow ugc">good</a>' in clean


def test_description_longer_than_the_limit_is_refused():
    with pytest.raises(ApplicationError) as exc:
        services.description_sanitise("x" * (services.MAX_DESCRIPTION_LENGTH + 1))
    assert "description" in exc.value.fields


def test_html_to_text_separates_blocks_and_decodes_entities():
    assert html_to_text("<p>Fish &amp; chips</p><p>Second</p>") == "Fish & chips Second"
    assert html_to_text("") == ""


# --- attribute values -------------------------------------------------------------------


def _attribute(kind: str, allowed: list[str] | None = None) -> Attribute:
    return Attribute(code="x", name="X", kind=kind, allowed_values=allowed or [])


@pytest.mark.parametrize(
    ("kind", "allowed", "value", "expected"),
    [
        ("number", None, 128, 128),
        ("number", None, 6.1, 6.1),
        ("number", None, 128.0, 128),
        ("boolean", None, False, False),
        ("text", None, "  Snapdragon 8  ", "Snapdragon 8"),
        ("choice", ["Red", "Blue"], "Red", "Red"),
    ],
)
def test_values_of_the_right_type_are_normalised(kind, allowed, value, expected):
    result = services._normalise_value(_attribute(kind, allowed), value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("kind", "allowed", "value"),
    [
        ("number", None, "128"),
        ("number", None, True),
        ("number", None, float("nan")),
        ("number", None, float("inf")),
        ("boolean", None, "yes"),
        ("boolean", None, 1),
        ("text", None, 5),
        ("text", None, "   "),
        ("text", None, "x" * 201),
        ("choice", ["Red", "Blue"], "Green"),
        ("choice", ["Red", "Blue"], ["Red"]),
    ],
)
def test_values_of_the_wrong_type_are_refused(kind, allowed, value):
    with pytest.raises(ValueError, match=r"."):
        services._normalise_value(_attribute(kind, allowed), value)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("number", "128", 128),
        ("number", "6.5", 6.5),
        ("boolean", "true", True),
        ("boolean", "0", False),
        ("text", "Snapdragon", "Snapdragon"),
    ],
)
def test_query_string_values_are_parsed_by_kind(kind, raw, expected):
    assert parse_attribute_value(_attribute(kind), raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw"), [("number", "big"), ("number", "nan"), ("boolean", "maybe")]
)
def test_query_string_values_of_the_wrong_kind_raise(kind, raw):
    with pytest.raises(ValueError, match=r"."):
        parse_attribute_value(_attribute(kind), raw)


# --- images ------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "expected"), [("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp")])
def test_real_images_are_accepted_with_a_thumbnail(settings, fmt, expected):
    settings.CATALOG_THUMBNAIL_SIZE = 32
    validated = services.image_validate(file=upload(image_bytes(fmt, (640, 480))))
    assert (validated.format, validated.width, validated.height) == (expected, 640, 480)
    with Image.open(io.BytesIO(validated.thumbnail)) as thumb:
        assert thumb.format == "WEBP"
        assert max(thumb.size) == 32


def test_a_text_file_named_like_an_image_is_refused():
    with pytest.raises(ApplicationError) as exc:
        services.image_validate(file=upload(b"<html><script>alert(1)</script></html>", "a.jpg"))
    assert exc.value.code == "not_an_image"
    assert "image" in exc.value.fields


def test_a_truncated_image_is_refused():
    data = image_bytes("JPEG", (400, 400))
    with pytest.raises(ApplicationError) as exc:
        services.image_validate(file=upload(data[: len(data) // 2]))
    assert exc.value.code == "not_an_image"


def test_other_image_types_are_refused():
    with pytest.raises(ApplicationError) as exc:
        services.image_validate(file=upload(image_bytes("GIF")))
    assert exc.value.code == "unsupported_image_type"


def test_an_empty_file_is_refused():
    with pytest.raises(ApplicationError) as exc:
        services.image_validate(file=upload(b""))
    assert exc.value.code == "not_an_image"


def test_too_many_bytes_are_refused(settings):
    settings.CATALOG_IMAGE_MAX_BYTES = 1000
    with pytest.raises(ApplicationError) as exc:
        services.image_validate(file=upload(image_bytes("PNG", (300, 300), compress_level=0)))
    assert exc.value.code == "image_too_large"


def test_too_many_pixels_are_refused_before_decoding(settings):
    settings.CATALOG_IMAGE_MAX_PIXELS = 100 * 100
    with pytest.raises(ApplicationError) as exc:
        services.image_validate(file=upload(image_bytes("PNG", (101, 100))))
    assert exc.value.code == "image_too_large"


def test_reencoding_drops_exif_and_trailing_payloads():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    data = image_bytes("JPEG", (50, 50), exif=exif.tobytes()) + b"<script>alert(1)</script>"
    validated = services.image_validate(file=upload(data))
    assert b"SecretCam" not in validated.content
    assert b"<script>" not in validated.content
    with Image.open(io.BytesIO(validated.content)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()


# --- events ------------------------------------------------------------------------------


def _snapshot_fields() -> dict:
    return {
        "product_id": uuid.uuid4(),
        "slug": "acme-phone-x",
        "name": "Acme Phone X",
        "status": "published",
        "description_text": "A fine phone.",
        "brand_id": uuid.uuid4(),
        "brand_name": "Acme",
        "brand_slug": "acme",
        "category_id": uuid.uuid4(),
        "category_path_ids": [uuid.uuid4(), uuid.uuid4()],
        "category_path": ["Electronics", "Phones"],
        "category_path_slugs": ["electronics", "phones"],
        "product_type": "phone",
        "attribute_values": {"storage_gb": [128, 256], "colour": ["Black"], "nfc": [True]},
        "variant_ids": [uuid.uuid4()],
        "skus": ["ACME-X-128"],
        "proposed_by_vendor_id": None,
        "published_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "updated_at": datetime(2026, 1, 3, 3, 4, 5, tzinfo=UTC),
    }


@pytest.mark.parametrize(
    "event",
    [
        ProductPublished(**_snapshot_fields()),
        ProductUpdated(**{**_snapshot_fields(), "status": "draft", "published_at": None}),
        ProductUnpublished(
            product_id=uuid.uuid4(), slug="old", merged_into_product_id=uuid.uuid4()
        ),
        ProductUnpublished(product_id=uuid.uuid4(), slug="old"),
        ProductsMerged(
            target_product_id=uuid.uuid4(),
            merged_product_ids=[uuid.uuid4()],
            product_id_map={str(uuid.uuid4()): uuid.uuid4()},
            variant_id_map={str(uuid.uuid4()): uuid.uuid4()},
        ),
    ],
    ids=lambda e: e.event_type,
)
def test_every_event_round_trips_through_json(event):
    wire = json.loads(json.dumps(event.to_message()))
    assert wire["event_type"].startswith("catalog.")
    assert wire["aggregate_id"] == event.aggregate_id
    decoded = decode(wire)
    assert decoded == event
    assert type(decoded) is type(event)


def test_attribute_values_keep_their_json_types_through_the_wire():
    event = ProductPublished(**_snapshot_fields())
    decoded = decode(json.loads(json.dumps(event.to_message())))
    assert decoded.attribute_values == {
        "storage_gb": [128, 256],
        "colour": ["Black"],
        "nfc": [True],
    }
    assert decoded.attribute_values["nfc"][0] is True
