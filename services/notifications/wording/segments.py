"""How many segments an SMS takes (GSM 03.38): a template is held to a limit of them."""

from __future__ import annotations

from dataclasses import dataclass

_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Written as the escape septet and the character's own: two septets each.
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsSegments:
    encoding: str  # GSM-7 or UCS-2
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def sms_segments(text: str) -> SmsSegments:
    """How many segments an SMS takes (GSM 03.38; UCS-2 when any character is outside it).

    One segment holds 160 septets (70 UTF-16 units); a message in several holds 153 (67)
    in each, the rest being the concatenation header. A character is never split across
    two segments: an escaped GSM-7 character (two septets) or a UCS-2 surrogate pair (an
    emoji: two units) that does not fit in what is left of a segment starts the next one,
    leaving a unit unused, so a message can take one more segment than its units divided
    by the segment's size.
    """
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text):
        costs = [2 if ch in _GSM7_EXTENDED else 1 for ch in text]
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        single, multi, encoding = 70, 67, "UCS-2"
    units = sum(costs)
    if units <= single:
        return SmsSegments(encoding, units, 1)
    return SmsSegments(encoding, units, _segments_of(costs, multi))


def _segments_of(costs: list[int], capacity: int) -> int:
    """Segments of ``capacity`` units filled in order, no character split between two."""
    segments, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            segments, used = segments + 1, 0
        used += cost
    return segments
