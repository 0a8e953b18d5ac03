"""SMS segments (GSM 03.38): a character is never split across two segments, so an
escaped GSM-7 character or a UCS-2 surrogate pair on a boundary starts the next one."""

from __future__ import annotations

import pytest

from services.notifications.wording.segments import sms_segments

EMOJI = "\U0001f33f"  # outside the Basic Multilingual Plane: a surrogate pair in UTF-16


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # fits whole in one segment
        # 152 septets, then the escape and the euro sign would straddle the boundary.
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
        ("a" * 151 + "€" + "a" * 153, "GSM-7", 306, 2),  # the euro ends segment one
        ("€" * 81, "GSM-7", 162, 2),
        ("a" * 70 + "é", "GSM-7", 71, 1),  # é is in the basic set: one septet
        ("ā" * 70, "UCS-2", 70, 1),
        ("ā" * 71, "UCS-2", 71, 2),
        ("a" * 66 + EMOJI + "a" * 66, "UCS-2", 134, 3),  # the pair would straddle
        ("a" * 65 + EMOJI + "a" * 67, "UCS-2", 134, 2),
        (EMOJI * 35, "UCS-2", 70, 1),
        (EMOJI * 36, "UCS-2", 72, 2),
        (EMOJI * 67, "UCS-2", 134, 3),  # 33 pairs to a segment (66 of its 67 units)
    ],
    ids=lambda value: f"{len(value)}-chars" if isinstance(value, str) and len(value) > 8 else None,
)
def test_segments_are_counted_as_the_handset_splits_them(text, encoding, units, segments):
    counted = sms_segments(text)
    assert (counted.encoding, counted.units, counted.segments) == (encoding, units, segments)
