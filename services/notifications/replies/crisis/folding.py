"""Text folded for reading: however a phrase is written, one spelling to match against.

``readings(text)`` folds in this order (each step is linear in the text's length):

1. format characters (Unicode category Cf: zero-width joiners and spaces, soft hyphen,
   BOM, bidi marks) and invisible fillers removed; every apostrophe variant made ``'``
   (before NFKC, which turns an acute accent into a space and a combining mark);
2. Unicode NFKC (full-width and mathematical letters, ligatures);
3. look-alike letters (Cyrillic, Greek, Turkish dotless i, small capitals ...) folded to
   the Latin letter they look like, case folded, accents dropped (NFD, combining marks
   removed), and look-alikes folded again (those that were capitals);
4. digits and symbols inside words read as letters (``k1ll``, ``$uicide``, ``d!e``), a
   lone ``2`` between words as "to"; a ``1`` or ``|`` may be an i or an l, so text with
   one gets two readings;
5. apostrophes dropped (``can't`` is ``cant``), letters spaced, dotted or hyphenated
   apart joined (``s u i c i d e``, ``s.u.i.c.i.d.e``; two spaces between letters, or a
   different separator, part words: ``k i l l  m y s e l f``), words separated by one
   space and any other punctuation by `` | `` (a clause break), and repeated letters
   squeezed to one (``suiiicide`` and ``suicide`` read ``suicide``; ``kill`` reads
   ``kil``: patterns are squeezed the same way when compiled).
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Mapping

from services.notifications.replies.crisis.lookalikes import (
    APOSTROPHE,
    APOSTROPHES,
    INVISIBLE_LETTERS,
    lookalike_table,
)

CLAUSE_BREAK = " | "
# A run of at least this many single letters, each apart by a short separator, is one
# spelled-out word ("s u i c i d e"); "a b" and "I a" are left alone.
MIN_SPELLED_LETTERS = 3
MAX_SPELLING_GAP = 3

_LEET = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a",
         "$": "s", "!": "i", "2": "to"}  # fmt: skip
_ONE_AS_I = str.maketrans({**_LEET, "1": "i", "|": "i"})
_ONE_AS_L = str.maketrans({**_LEET, "1": "l", "|": "l"})
_LEET_TOKEN = re.compile(r"[a-z0-9@$!|]+")
_LEET_CHARS = frozenset("0123456789@$!|")
_LONE_TWO = re.compile(r"(?<=[a-z] )2(?= [a-z])")
_WORD = re.compile(r"([a-z0-9]+)")
_REPEATED_LETTER = re.compile(r"([a-z])\1+")
_PRONOUNS = frozenset("ia")


# Every plane that has format characters or combining marks: the BMP, plane 1 and
# plane 14 (tags, variation selectors).
_PLANES = (range(0x20000), range(0xE0000, min(0xE1000, sys.maxunicode + 1)))


@functools.cache
def _invisible_and_apostrophes() -> dict[int, str | None]:
    """Format characters and invisible fillers removed, apostrophes made ``'``."""
    table: dict[int, str | None] = {
        code: None for block in _PLANES for code in block if unicodedata.category(chr(code)) == "Cf"
    }
    table.update({ord(char): None for char in INVISIBLE_LETTERS})
    table.update({ord(char): APOSTROPHE for char in APOSTROPHES})
    return table


@functools.cache
def _marks() -> dict[int, None]:
    """Combining marks (what NFD splits accents into), removed."""
    return {
        code: None
        for block in _PLANES
        for code in block
        if unicodedata.category(chr(code)) in ("Mn", "Me")
    }


class Folding:
    """The folding, with its look-alike table built once (from the confusables data and
    the reviewed additions)."""

    def __init__(self, lookalike_additions: Mapping[str, str]):
        self._lookalikes = lookalike_table(lookalike_additions)

    def letters(self, text: str) -> str:
        """Steps 1-3: lower-case letters, look-alikes and accents folded; apostrophes,
        digits and punctuation as they were."""
        text = unicodedata.normalize("NFKC", text.translate(_invisible_and_apostrophes()))
        text = text.translate(self._lookalikes).casefold()
        text = unicodedata.normalize("NFD", text).translate(_marks())
        return text.translate(self._lookalikes)

    def readings(self, text: str) -> tuple[str, ...]:
        """The text as words to match against: one reading, or up to four when a ``1``
        or ``|`` inside a word may be an i or an l, and a spelled-out run may start with
        the word "I" or "a" ("I c a n t" reads "icant" and "i cant")."""
        letters = self.letters(text)
        tables = (_ONE_AS_I, _ONE_AS_L) if any(c in letters for c in "1|") else (_ONE_AS_I,)
        readings: list[str] = []
        for table in tables:
            leet = _LEET_TOKEN.sub(lambda m, table=table: _leet(m.group(), table), letters)
            for pronoun_apart in (False, True):
                reading = _words(leet, pronoun_apart)
                if reading not in readings:
                    readings.append(reading)
        return tuple(readings)


def _leet(token: str, table: dict) -> str:
    """Digits and symbols inside a word as the letters they stand for; punctuation around
    it ("die!!!") and numbers alone ("7/10") left as they are."""
    core = token.strip("!|")
    if not core or core.isalpha() or core.isdigit() or not _LEET_CHARS.intersection(core):
        return token
    if not any(c.isalpha() for c in core):
        return token
    start = token.index(core)
    return token[:start] + core.translate(table) + token[start + len(core) :]


def _words(text: str, pronoun_apart: bool) -> str:
    text = _LONE_TWO.sub("to", text.replace(APOSTROPHE, ""))
    parts = _WORD.split(text)  # separator, word, separator, word, ..., separator
    words, gaps = parts[1::2], parts[2:-1:2]
    words, gaps = _spelled_out_words_joined(words, gaps, pronoun_apart)
    pairs = zip(words[:-1], gaps, strict=True)
    out = [w + (" " if not g or g.isspace() else CLAUSE_BREAK) for w, g in pairs]
    joined = "".join(out) + (words[-1] if words else "")
    return _REPEATED_LETTER.sub(r"\1", joined)


def _spelled_out_words_joined(
    words: list[str], gaps: list[str], pronoun_apart: bool
) -> tuple[list, list]:
    """``words`` with runs of single letters joined into words; ``gaps[i]`` is what
    stands between ``words[i]`` and ``words[i + 1]``. With ``pronoun_apart``, a run's
    first word of four letters or more that starts with i or a is read as two."""
    joined_words: list[str] = []
    joined_gaps: list[str] = []
    i = 0
    while i < len(words):
        end = i
        while (
            end + 1 < len(words)
            and _single_letter(words[end])
            and _single_letter(words[end + 1])
            and len(gaps[end]) <= MAX_SPELLING_GAP
        ):
            end += 1
        if end - i + 1 >= MIN_SPELLED_LETTERS:
            run_gaps = gaps[i:end]
            usual = Counter(run_gaps).most_common(1)[0][0]
            word = words[i]
            if pronoun_apart and word in _PRONOUNS and len(run_gaps) >= MIN_SPELLED_LETTERS:
                joined_words.append(word)
                joined_gaps.append(" ")
                word = ""
            for letter, gap in zip(words[i + 1 : end + 1], run_gaps, strict=True):
                if gap == usual or not word:
                    word += letter
                else:
                    joined_words.append(word)
                    joined_gaps.append(" ")
                    word = letter
            joined_words.append(word)
        else:
            joined_words.extend(words[i : end + 1])
            joined_gaps.extend(gaps[i:end])
        if end < len(gaps):
            joined_gaps.append(gaps[end])
        i = end + 1
    return joined_words, joined_gaps


def _single_letter(word: str) -> bool:
    return len(word) == 1 and word.isalpha()
