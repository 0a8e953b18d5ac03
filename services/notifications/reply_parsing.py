"""Reading a client's reply: crisis, mood, done or journal, in that order (DESIGN 5b).

Pure functions: the caller supplies the organisation's crisis phrases and decides what a
"done" means (it needs a recent action reminder; without one it is a journal entry).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_CRISIS_PHRASES = (
    "suicide",
    "suicidal",
    "kill myself",
    "end my life",
    "end it all",
    "want to die",
    "hurt myself",
    "self harm",
    "overdose",
    "can't go on",
)
DEFAULT_CRISIS_TEXT = (
    "If you are in danger call 000 now, or Lifeline on 13 11 14 (24/7). Your coach has been told."
)
DONE_PHRASES = frozenset({"done", "did it", "yes"})
# Longest reply kept (a long SMS is 10 segments of 160 characters).
MAX_TEXT_LENGTH = 1600

# A number 1-10, alone or leading, optionally "/10": "7", "7/10", "4 rough day". Not
# "7.5", "3pm" or "11".
_MOOD = re.compile(r"^\s*(10|[1-9])(?:\s*/\s*10)?(?![\d/]|[.,]\d|[^\W\d_])")
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Reading:
    """What a reply says: ``intent`` is crisis, mood, done or journal."""

    intent: str
    rating: int | None = None


def normalised(text: str) -> str:
    """Lower case, apostrophes dropped, any other punctuation a single space: "Can't-go
    ON!!" and "cant go on" read alike."""
    without_apostrophes = _APOSTROPHES.sub("", text.casefold())
    return " ".join(_NOT_WORD.sub(" ", without_apostrophes).split())


def mentions_crisis(text: str, phrases: Iterable[str]) -> bool:
    """True when a phrase occurs in the text as whole words, whatever the case or
    punctuation."""
    padded = f" {normalised(text)} "
    return any((phrase := normalised(p)) and f" {phrase} " in padded for p in phrases)


def mood_rating(text: str) -> int | None:
    match = _MOOD.match(text)
    return int(match.group(1)) if match else None


def says_done(text: str) -> bool:
    return normalised(text) in DONE_PHRASES


def read_reply(text: str, crisis_phrases: Iterable[str] = DEFAULT_CRISIS_PHRASES) -> Reading:
    """Crisis first (never lost behind a number), then a 1-10 mood, then DONE / DID IT /
    YES (a claim the caller checks against recent reminders), else a journal entry."""
    if mentions_crisis(text, crisis_phrases):
        return Reading("crisis")
    rating = mood_rating(text)
    if rating is not None:
        return Reading("mood", rating)
    if says_done(text):
        return Reading("done")
    return Reading("journal")
