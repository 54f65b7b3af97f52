"""Rules that need no database: input cleaning, automatic moderation, photo checks."""

from __future__ import annotations

import pytest

from bazaar_platform.api.errors import ApplicationError
from contexts.reviews.events import ALL_EVENTS
from contexts.reviews.services import moderation_flags, photo_check, rating_clean, text_clean
from contexts.reviews.tests.conftest import image_bytes

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("bad", [0, 6, -1, 3.5, "4", None, True])
def test_ratings_outside_one_to_five_are_refused(bad):
    with pytest.raises(ApplicationError) as exc:
        rating_clean(bad)
    assert exc.value.code == "invalid_rating"
    assert exc.value.fields["rating"]


@pytest.mark.parametrize(
    ("value", "code"),
    [("", "body_too_short"), ("   \n ", "body_too_short"), ("short", "body_too_short"),
     ("x" * 5001, "body_too_long"), (42, "invalid_text"), ("bell\x07rings here", "invalid_text")],
)  # fmt: skip
def test_empty_huge_or_non_text_bodies_are_refused(value, code):
    with pytest.raises(ApplicationError) as exc:
        text_clean(value, field="body", min_length=10, max_length=5000)
    assert exc.value.code == code


def test_html_is_kept_as_typed_text():
    text = "<script>alert('x')</script> nice & cheap"
    assert text_clean(f"  {text}\n", field="body", min_length=10, max_length=100) == text


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Buy cheap at https://example.test now", "link"),
        ("see www.example for more", "link"),
        ("order from cheapstuff.com", "link"),
        ("This is a SCAM, avoid", "banned_word"),
        ("greaaaaaaaaaaaaat product", "repeated_text"),
        ("good good good good good good", "repeated_text"),
    ],
)
def test_automatic_moderation_flags(settings, text, flag):
    settings.REVIEWS_MAX_PER_DAY = 5
    flags = moderation_flags(text=text, banned_words=["scam"], recent_reviews=0, duplicate=False)
    assert flags == [flag]


def test_clean_text_passes_and_rate_and_duplicates_flag(settings):
    settings.REVIEWS_MAX_PER_DAY = 5
    text = "Sturdy, arrived quickly, the colour is as pictured. Scampi not included."
    assert (
        moderation_flags(text=text, banned_words=["scam"], recent_reviews=4, duplicate=False) == []
    )
    assert moderation_flags(text=text, banned_words=[], recent_reviews=5, duplicate=False) == [
        "rate"
    ]
    assert moderation_flags(text=text, banned_words=[], recent_reviews=0, duplicate=True) == [
        "repeated_text"
    ]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_real_images_pass_and_are_reencoded(settings, fmt):
    settings.REVIEWS_PHOTO_MAX_BYTES = 1024 * 1024
    settings.REVIEWS_PHOTO_MAX_PIXELS = 1_000_000
    kind, width, height, content = photo_check(data=image_bytes(fmt))
    assert (kind, width, height) == (fmt.lower(), 32, 24)
    assert content


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (b"", "not_an_image", 400),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not_an_image", 400),
        (image_bytes("PNG")[:60], "not_an_image", 400),
        (image_bytes("GIF"), "unsupported_image_type", 400),
        (image_bytes("PNG", (2000, 2000)), "photo_too_large", 413),
        (b"\x89PNG" + b"0" * 300_000, "photo_too_large", 413),
    ],
)
def test_bad_photos_are_refused(settings, data, code, status):
    settings.REVIEWS_PHOTO_MAX_BYTES = 200_000
    settings.REVIEWS_PHOTO_MAX_PIXELS = 1_000_000
    with pytest.raises(ApplicationError) as exc:
        photo_check(data=data)
    assert (exc.value.code, exc.value.status_code) == (code, status)


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.event_type)
def test_events_are_of_this_context_and_keyed(cls):
    assert cls.event_type.startswith("reviews.")
    assert cls.aggregate in cls.model_fields
