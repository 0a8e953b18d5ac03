"""Characters that look like a Latin letter or an apostrophe, folded to it.

The table comes from Unicode's confusables data (UTS #39 ``confusables.txt``, as carried
by the ``confusable-homoglyphs`` package): a character whose prototype is, or leads to, a
single ASCII letter is read as that letter, by how it *looks* (Cyrillic ``р`` is ``p``,
``у`` is ``y``; a transliteration would say ``r`` and ``u``). Where the data's prototype
is a small capital or another non-ASCII letter (Cyrillic ``т`` -> ``ᴛ``), the reviewed
additions in ``patterns.toml`` (``[lookalikes]``) and the small capitals' names finish
the job. ASCII is never remapped: ``1`` and ``0`` are digits here, not ``l`` and ``O``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

APOSTROPHE = "'"
# Apostrophe look-alikes the confusables data does not fold to U+0027 on its own (left
# and right quotation marks are punctuation to UTS #39, an apostrophe to a person typing).
APOSTROPHES = "\u2018\u2019\u201b\u02bc\u02bb\u02bd\u02b9\u02c8\u02ca\u02cb\u2032\u2035\uff07\uff40`\u00b4\u0384\u1fbf\u1ffe\u055a\u05f3\ua78c"
# Invisible letters the format category (Cf) does not cover: Hangul fillers and friends
# (Unicode's Default_Ignorable_Code_Point letters).
INVISIBLE_LETTERS = "\u115f\u1160\u3164\uffa0\u034f"
_SMALL_CAPITAL = "LATIN LETTER SMALL CAPITAL "
_MAX_HOPS = 4


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _ascii_letter(text: str) -> str | None:
    """The single ASCII letter (lower case) or apostrophe ``text`` is, else None."""
    plain = _plain(text)
    if len(plain) == 1 and plain.isascii() and (plain.isalpha() or plain == APOSTROPHE):
        return plain.lower()
    name = unicodedata.name(text, "") if len(text) == 1 else ""
    if name.startswith(_SMALL_CAPITAL) and len(name) == len(_SMALL_CAPITAL) + 1:
        return name[-1].lower()
    return None


def _prototype(char: str, confusables_data: Mapping) -> str | None:
    """Where the confusables data leads ``char``: its one prototype, followed while that
    is itself a non-ASCII character with one prototype."""
    current = char
    for _ in range(_MAX_HOPS):
        entries = confusables_data.get(current)
        if not entries or len(entries) != 1:
            return None
        current = entries[0]["c"]
        if (letter := _ascii_letter(current)) is not None:
            return letter
    return None


def _folded_letter(char: str, confusables_data: Mapping) -> str | None:
    letter = _ascii_letter(char) or _prototype(char, confusables_data)
    if letter == "l" and unicodedata.category(char) == "Lu":
        return "i"  # a capital I-like stroke (Cyrillic І, Greek Ι) in a word is an I
    return letter


def lookalike_table(additions: Mapping[str, str]) -> dict[int, str]:
    """A ``str.translate`` table: every non-ASCII look-alike to its ASCII letter, every
    apostrophe variant to ``'``; ``additions`` (reviewed data) win."""
    # Imported here: loading the confusables data is work for the first reading, not
    # for every import of the service.
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[int, str] = {}
    for char in confusables_data:
        if (
            len(char) == 1
            and not char.isascii()
            and (letter := _folded_letter(char, confusables_data))
        ):
            table[ord(char)] = letter
    for char in APOSTROPHES:
        table[ord(char)] = APOSTROPHE
    for char, letter in additions.items():
        table[ord(char)] = letter
    return table
