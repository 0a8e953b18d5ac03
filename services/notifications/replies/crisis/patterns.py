"""The crisis patterns of ``patterns.toml``, compiled once, and what they find in a text.

Every pattern is compiled by RE2 (``google-re2``), an automaton engine with no
backtracking: a search costs at most (program size) x (text length), whatever the text.
:attr:`CrisisLanguage.program_size` is that first factor; the folded text is at most
``MAX_FOLDED_GROWTH`` times the length of what the client wrote (NFKC's widest
expansion), and the caller reads at most 16,000 characters.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

import re2

from services.notifications.replies.crisis.folding import CLAUSE_BREAK, Folding

PATTERNS_FILE = "patterns.toml"
# Every other shipped language's patterns (``patterns.es.toml``): all are read whatever
# the client's locale, over the same folding (a client writes in either language).
LANGUAGE_PATTERNS = ("patterns.es.toml",)
# What ``categories_in`` calls a crisis term found inside one word ("wanttodie").
GLUED = "glued"
# NFKC maps one code point to at most 18 (U+FDFA); folding never lengthens otherwise.
MAX_FOLDED_GROWTH = 18
# A text naming an idiom ("cut myself some slack") more often than this is read as a
# crisis without looking further: the work per text stays bounded.
MAX_IDIOMS_SKIPPED = 32
# A space written in a pattern: any run of spaces and clause breaks, or none.
LOOSE_SPACE = "[ |]*"
_MACRO = re.compile(r"\{([a-z_]+)\}")
_REPEATED_LETTER = re.compile(r"(?<!\\)([a-z])\1+")


@dataclass(frozen=True)
class Category:
    """One kind of crisis language: its name, what it covers, and example lines."""

    name: str
    description: str
    examples: tuple[str, ...]


class CrisisLanguage:
    """The reviewed crisis patterns, compiled; :meth:`categories_in` says which kinds of
    crisis language a text has."""

    def __init__(self, data: Mapping, languages: Iterable[Mapping] = ()):
        """``data``: the English patterns (and the folding's look-alikes); ``languages``:
        each other language's, with macros of its own."""
        languages = tuple(languages)
        self.version: str = "+".join([data["version"], *(extra["version"] for extra in languages)])
        self.folding = Folding(data.get("lookalikes", {}))
        self.categories: tuple[Category, ...] = ()
        self._plain: list[tuple[str, re2._Regexp]] = []
        self._idioms: list[tuple[str, re2._Regexp]] = []
        glued: list[str] = []
        for written in (data, *languages):
            self._add(written)
            glued += written.get("glued", {}).get("terms", [])
        self._glued = _compile("|".join(_squeezed(term) for term in glued) or "$^")

    def _add(self, data: Mapping) -> None:
        macros = _macros(data.get("macros", {}))
        self.categories += tuple(
            Category(c["name"], c["description"], tuple(c.get("examples", ())))
            for c in data["category"]
        )
        for category in data["category"]:
            plain = [p for p in category["patterns"] if isinstance(p, str)]
            if plain:
                source = "|".join(f"(?:{_compiled_source(p, macros)})" for p in plain)
                self._plain.append((category["name"], _compile(source)))
            for entry in category["patterns"]:
                if not isinstance(entry, str):
                    self._idioms.append((category["name"], _with_idioms(entry, macros)))

    @property
    def program_size(self) -> int:
        """The summed size of every compiled pattern: a text's reading costs at most this
        many steps per character (RE2's guarantee)."""
        return sum(regex.programsize for regex in self.engines)

    @property
    def engines(self) -> tuple:
        """Every compiled pattern (for the tests that hold them to RE2)."""
        return (*(regex for _, regex in (*self._plain, *self._idioms)), self._glued)

    def categories_in(self, text: str) -> list[str]:
        """The names of the categories whose patterns occur in ``text``, in file order."""
        readings = self.folding.readings(text)
        found = [name for name, regex in self._plain if any(map(regex.search, readings))]
        for name, regex in self._idioms:
            if name not in found and any(_outside_idiom(regex, r) for r in readings):
                found.append(name)
        order = [c.name for c in self.categories]
        found.sort(key=order.index)
        if any(map(self._glued.search, readings)):
            found.append(GLUED)
        return found

    def mentions(self, text: str, extra_phrases: Iterable[str] = ()) -> bool:
        """True when ``text`` has crisis language or one of ``extra_phrases``."""
        readings = self.folding.readings(text)
        if any(regex.search(r) for _, regex in self._plain for r in readings):
            return True
        if any(map(self._glued.search, readings)):
            return True
        if any(_outside_idiom(regex, r) for _, regex in self._idioms for r in readings):
            return True
        phrases = self.phrases_regex(tuple(extra_phrases))
        return phrases is not None and any(map(phrases.search, readings))

    def phrase_words(self, phrase: str) -> list[str]:
        """A phrase as the words it is matched by (folded as a text is)."""
        return self.folding.readings(phrase)[0].replace(CLAUSE_BREAK, " ").split()

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one instance, kept for the process
    def phrases_regex(self, phrases: tuple[str, ...]):
        """One RE2 pattern for an organisation's phrases (whole words, spaced as the
        patterns are), or None for none."""
        sources = [LOOSE_SPACE.join(words) for p in phrases if (words := self.phrase_words(p))]
        if not sources:
            return None
        return _compile(r"\b(?:" + "|".join(sources) + r")\b")


@functools.cache
def crisis_language() -> CrisisLanguage:
    """The platform's crisis patterns in every shipped language, loaded and compiled once
    per process."""
    folder = resources.files(__package__)

    def read(name: str) -> dict:
        return tomllib.loads(folder.joinpath(name).read_text(encoding="utf-8"))

    return CrisisLanguage(read(PATTERNS_FILE), [read(name) for name in LANGUAGE_PATTERNS])


def _compile(source: str):
    options = re2.Options()
    options.max_mem = 64 << 20
    return re2.compile(source, options)


def _outside_idiom(regex, reading: str) -> bool:
    """True when a match of ``regex`` is not followed by one of its idioms' words."""
    for count, match in enumerate(regex.finditer(reading)):
        if count >= MAX_IDIOMS_SKIPPED or match.group(1) is None:
            return True
    return False


def _with_idioms(entry: Mapping, macros: Mapping[str, str]):
    tails = "|".join(_squeezed(t) for t in entry["unless_followed_by"])
    return _compile(f"(?:{_compiled_source(entry['pattern'], macros)})( (?:{tails})\\b)?")


def _squeezed(source: str) -> str:
    return _REPEATED_LETTER.sub(r"\1", source)


def _loose_spaces(source: str) -> str:
    """Spaces outside a character class made ``LOOSE_SPACE``."""
    out, in_class, escaped = [], False, False
    for char in source:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == " " and not in_class:
            out.append(LOOSE_SPACE)
            continue
        out.append(char)
    return "".join(out)


def _expanded(source: str, macros: Mapping[str, str], literal) -> str:
    """``source`` with each ``{macro}`` inserted and ``literal`` applied to the rest."""
    pieces = _MACRO.split(source)  # text, name, text, name, ..., text
    out = []
    for index, piece in enumerate(pieces):
        if index % 2:
            if piece not in macros:
                raise ValueError(f"unknown macro {{{piece}}} in crisis patterns")
            out.append(f"(?:{macros[piece]})")
        else:
            out.append(literal(piece))
    return "".join(out)


def _macros(written: Mapping[str, str]) -> dict[str, str]:
    macros: dict[str, str] = {}
    for name, body in written.items():
        macros[name] = _expanded(body, macros, _squeezed)
    return macros


def _compiled_source(pattern: str, macros: Mapping[str, str]) -> str:
    return _expanded(pattern, macros, lambda piece: _loose_spaces(_squeezed(piece)))
