"""How many segments an SMS takes (GSM 03.38): a template is held to a limit of them."""

from __future__ import annotations

import math
from dataclasses import dataclass

_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsSegments:
    encoding: str  # GSM-7 or UCS-2
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def sms_segments(text: str) -> SmsSegments:
    """How many segments an SMS takes (GSM 03.38; UCS-2 when any character is outside it)."""
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / multi)
    return SmsSegments(encoding, units, segments)
