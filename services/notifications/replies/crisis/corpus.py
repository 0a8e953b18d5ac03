"""The labelled corpus the crisis patterns are measured by, and the everyday replies an
organisation's own phrase is checked against (no more than ``MAX_PHRASE_SHARE`` of them
may read as a crisis by it).

``everyday.txt`` is package data, because the settings API reads it at run time;
``tests/data/crisis/everyday.txt`` is a link to it, beside the crisis lines.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from services.notifications.replies.crisis.patterns import crisis_language

EVERYDAY_FILE = "everyday.txt"
CRISIS_FILE = "crisis.txt"
# An organisation's phrase may match at most this share of the everyday replies.
MAX_PHRASE_SHARE = 0.01


def corpus_lines(text: str) -> list[str]:
    """One message a line; blank lines and lines starting with ``#`` left out."""
    lines = (line.rstrip("\r") for line in text.split("\n"))
    return [line for line in lines if line.strip() and not line.startswith("#")]


def read_corpus(path: Path) -> list[str]:
    return corpus_lines(path.read_text(encoding="utf-8"))


@functools.cache
def everyday_replies() -> tuple[str, ...]:
    """The everyday replies shipped with the package."""
    text = resources.files(__package__).joinpath(EVERYDAY_FILE).read_text(encoding="utf-8")
    return tuple(corpus_lines(text))


@functools.cache
def _everyday_readings() -> tuple[tuple[str, ...], ...]:
    folding = crisis_language().folding
    return tuple(folding.readings(reply) for reply in everyday_replies())


def everyday_share(phrases: Iterable[str]) -> float:
    """The share of everyday replies that ``phrases`` (an organisation's additions) would
    read as a crisis."""
    regex = crisis_language().phrases_regex(tuple(phrases))
    readings = _everyday_readings()
    if regex is None or not readings:
        return 0.0
    matched = sum(1 for reading in readings if any(map(regex.search, reading)))
    return matched / len(readings)
