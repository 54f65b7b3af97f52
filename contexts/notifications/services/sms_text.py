"""SMS text rules: E.164 numbers, GSM-7 vs UCS-2, and how a long text splits.

A single SMS carries 140 octets: 160 GSM-7 septets, or 70 UCS-2 code units. A longer
text is sent as a concatenated SMS whose parts each lose 6 octets to the user-data
header: 153 septets (GSM-7) or 67 code units (UCS-2) per part.

GSM-7 (3GPP TS 23.038) has a basic table and an extension table reached through an
escape: ``^ { } \\ [ ~ ] | €`` and form feed cost two septets, and the two septets
must stay in the same part. One character outside both tables makes the whole text
UCS-2 (UTF-16), where a character beyond the Basic Multilingual Plane (most emoji)
costs two code units that must not be split either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_GSM7 = 160
MULTI_GSM7 = 153
SINGLE_UCS2 = 70
MULTI_UCS2 = 67

E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def is_e164(number: str) -> bool:
    """``+`` then a country code and subscriber number, 2 to 15 digits, no spaces."""
    return isinstance(number, str) and E164.fullmatch(number) is not None


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _gsm7_cost(ch: str) -> int:
    return 2 if ch in GSM7_EXTENSION else 1


def _ucs2_cost(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


@dataclass(frozen=True)
class SmsSplit:
    encoding: str  # "GSM-7" | "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2) of the whole text
    parts: tuple[str, ...]

    @property
    def segments(self) -> int:
        return len(self.parts)


def split_sms(text: str) -> SmsSplit:
    """How ``text`` goes over the air: its encoding, its length in units, its parts.

    An empty text is one empty part. Parts never cut an escape pair or a surrogate pair.
    """
    gsm = is_gsm7(text)
    cost = _gsm7_cost if gsm else _ucs2_cost
    single, multi = (SINGLE_GSM7, MULTI_GSM7) if gsm else (SINGLE_UCS2, MULTI_UCS2)
    units = sum(cost(ch) for ch in text)
    if units <= single:
        return SmsSplit("GSM-7" if gsm else "UCS-2", units, (text,))
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        c = cost(ch)
        if used + c > multi:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += c
    if current:
        parts.append("".join(current))
    return SmsSplit("GSM-7" if gsm else "UCS-2", units, tuple(parts))
