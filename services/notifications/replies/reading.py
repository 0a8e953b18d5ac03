"""Reading a client's reply: crisis, mood, done or journal, in that order (DESIGN 5b).

Pure functions: the caller supplies the organisation's *additional* crisis phrases (the
platform's crisis patterns always apply: ``services/notifications/replies/crisis``) and decides
what a "done" means (it needs a recent action reminder; without one it is a journal
entry).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from services.notifications.replies.crisis import crisis_language, platform_crisis_texts

# An organisation adds phrases to the platform's patterns; by default it adds none.
DEFAULT_CRISIS_PHRASES: tuple[str, ...] = ()
# DONE / DID IT / YES, and their Spanish (HECHO, LO HICE, SÍ, LISTO), whatever the
# client's locale; accents are optional ("si" is "sí").
DONE_PHRASES = frozenset({"done", "did it", "yes"}) | frozenset(
    {"hecho", "lo hice", "ya lo hice", "si", "listo", "ya", "ya esta", "terminado", "hecho ya"}
)
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


def __getattr__(name: str) -> str:
    # ``DEFAULT_CRISIS_TEXT``: who to call where the client's region has no text of its
    # own. It lives in crisis_texts.toml, read on first use rather than at import.
    if name == "DEFAULT_CRISIS_TEXT":
        return platform_crisis_texts().default
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def normalised(text: str) -> str:
    """Lower case, accents and apostrophes dropped, any other punctuation a single space:
    "DID-it!!" and "did it" read alike, "¡Sí!" and "si" (for DONE / DID IT / YES)."""
    unaccented = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    without_apostrophes = _APOSTROPHES.sub("", unaccented.casefold())
    return " ".join(_NOT_WORD.sub(" ", without_apostrophes).split())


def mentions_crisis(text: str, extra_phrases: Iterable[str] = DEFAULT_CRISIS_PHRASES) -> bool:
    """True when the text has crisis language however it is written (the platform's
    patterns) or one of the organisation's ``extra_phrases`` (as whole words)."""
    return crisis_language().mentions(text, extra_phrases)


def mood_rating(text: str) -> int | None:
    match = _MOOD.match(text)
    return int(match.group(1)) if match else None


def says_done(text: str) -> bool:
    return normalised(text) in DONE_PHRASES


def read_reply(text: str, extra_phrases: Iterable[str] = DEFAULT_CRISIS_PHRASES) -> Reading:
    """Crisis first (never lost behind a number), then a 1-10 mood, then DONE / DID IT /
    YES (a claim the caller checks against recent reminders), else a journal entry."""
    if mentions_crisis(text, extra_phrases):
        return Reading("crisis")
    rating = mood_rating(text)
    if rating is not None:
        return Reading("mood", rating)
    if says_done(text):
        return Reading("done")
    return Reading("journal")
