"""Which characters a text value may hold: the rules every input is checked against.

Three levels, strictest first:

- **one line** (names, titles, subjects: the default of every text field): no C0 or C1
  control character (CR, LF and tab included), no DEL, no Unicode line or paragraph
  separator and no bidirectional override or isolate. Such a value ends up in an email
  header, a log line or a list next to other people's names, where a line break forges a
  header and an override makes text read backwards.
- **free text** (notes, descriptions, histories): newlines and tabs too, nothing else.
- **any text at all** (what no service can store, whatever the field): no NUL, which
  PostgreSQL refuses in ``text`` and ``jsonb``, and no lone surrogate, which is not
  encodable as UTF-8.
"""

from __future__ import annotations

import re

_C0_C1_DEL = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_SURROGATES = "\ud800-\udfff"
_LINE_BREAKS_AND_TAB = "\t\n\u2028\u2029"
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"

_NOT_IN_ONE_LINE = re.compile(f"[{_C0_C1_DEL}{_SURROGATES}{_LINE_BREAKS_AND_TAB}{_BIDI_CONTROLS}]")
_NOT_IN_FREE_TEXT = re.compile(f"[{_C0_C1_DEL}{_SURROGATES}]")
_NEVER_STORABLE = re.compile(f"[\x00{_SURROGATES}]")


def _describe(match: re.Match | None) -> str | None:
    if match is None:
        return None
    return f"U+{ord(match.group()):04X} at position {match.start()}"


def refused_in_one_line(value: str) -> str | None:
    """Describe the first character a one-line value may not hold, or None if it is fine."""
    return _describe(_NOT_IN_ONE_LINE.search(value))


def refused_in_free_text(value: str) -> str | None:
    """As :func:`refused_in_one_line` for multi-line free text (newline and tab allowed)."""
    return _describe(_NOT_IN_FREE_TEXT.search(value))


def refused_anywhere(value: str) -> str | None:
    """Describe a character no stored text may hold (NUL, a lone surrogate), or None."""
    return _describe(_NEVER_STORABLE.search(value))


def normalise_line_ends(value: str) -> str:
    """CRLF and lone CR become LF, so free text keeps one kind of line end."""
    return value.replace("\r\n", "\n").replace("\r", "\n")
