"""SMS rules: E.164, GSM-7 vs UCS-2, single and multipart limits, unsplittable pairs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contexts.notifications.services.sms_text import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    is_e164,
    is_gsm7,
    split_sms,
)

pytestmark = pytest.mark.unit


def test_the_gsm7_tables_have_the_standard_sizes():
    # 128 positions in the basic table, one of them the escape to the extension table.
    assert len(GSM7_BASIC) == 127
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("+447700900123", True),
        ("+15005550006", True),
        ("+12", True),
        ("+123456789012345", True),  # 15 digits: the maximum
        ("+1234567890123456", False),  # 16 digits
        ("447700900123", False),  # no +
        ("+0447700900123", False),  # country codes do not start with 0
        ("+44 7700 900123", False),  # spaces
        ("+44-7700-900123", False),
        ("+1", False),
        ("", False),
        ("+" + "".join(chr(0xFF10 + int(d)) for d in "447700900123"), False),  # full-width digits
        ("+447700900123\n", False),
    ],
)
def test_e164(number, valid):
    assert is_e164(number) is valid


def test_single_gsm7_message_up_to_160_characters():
    split = split_sms("a" * 160)
    assert (split.encoding, split.units, split.segments) == ("GSM-7", 160, 1)


def test_161_gsm7_characters_make_two_parts_of_153_and_8():
    split = split_sms("a" * 161)
    assert split.encoding == "GSM-7"
    assert [len(p) for p in split.parts] == [153, 8]


def test_accented_latin_letters_of_the_gsm_table_stay_gsm7():
    text = "Votre commande est expédiée: Ä Ö Ü ß à è ù ì ò Ç ñ"
    assert is_gsm7(text)
    assert split_sms(text).encoding == "GSM-7"


def test_extension_characters_cost_two_septets():
    split = split_sms("€" * 80)
    assert (split.encoding, split.units, split.segments) == ("GSM-7", 160, 1)
    assert split_sms("€" * 81).segments == 2


def test_an_escape_pair_is_never_cut_between_parts():
    text = "a" * 152 + "{" + "b" * 10  # the brace would straddle septets 153-154
    split = split_sms(text)
    assert next(p[-1:] for p in split.parts) == "a"
    assert split.parts[0] == "a" * 152
    assert split.parts[1].startswith("{")
    assert "".join(split.parts) == text


def test_one_non_gsm_character_makes_the_whole_text_ucs2():
    split = split_sms("Hello ✓")
    assert split.encoding == "UCS-2"
    assert split_sms("ê").encoding == "UCS-2"  # ê is not in the GSM-7 table


def test_ucs2_single_message_up_to_70_then_parts_of_67():
    assert split_sms("ж" * 70).segments == 1
    split = split_sms("ж" * 71)
    assert [len(p) for p in split.parts] == [67, 4]


def test_characters_beyond_the_bmp_cost_two_units_and_are_not_split():
    assert split_sms("😀" * 35).segments == 1  # 70 UTF-16 units
    split = split_sms("ж" * 66 + "😀" + "ж")
    assert split.units == 69 and split.segments == 1
    longer = "ж" * 66 + "😀" + "ж" * 10
    parts = split_sms(longer).parts
    assert parts[0] == "ж" * 66
    assert parts[1].startswith("😀")


def test_empty_text_is_one_empty_part():
    assert split_sms("").parts == ("",)


_alphabet = st.sampled_from([*sorted(GSM7_BASIC | GSM7_EXTENSION), "ж", "ê", "😀", "✓"])


@given(st.text(alphabet=_alphabet, max_size=700))
def test_parts_always_rebuild_the_text_and_respect_the_limits(text):
    split = split_sms(text)
    assert "".join(split.parts) == text
    gsm = split.encoding == "GSM-7"
    if split.segments == 1:
        assert split.units <= (160 if gsm else 70)
    else:
        for part in split.parts:
            cost = sum(
                (2 if ch in GSM7_EXTENSION else 1) if gsm else (2 if ord(ch) > 0xFFFF else 1)
                for ch in part
            )
            assert 0 < cost <= (153 if gsm else 67)
