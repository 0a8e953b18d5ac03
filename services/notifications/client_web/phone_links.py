"""Phone numbers in a text a client reads on a page (the crisis line, a help contact) made
into ``tel:`` links, so that on a phone one tap calls them.

A number is a run of at least ``MIN_DIGITS`` digits, in groups separated by single spaces
or hyphens, with an optional leading ``+`` and one bracketed area code: "000",
"13 11 14", "116 123", "+44 116 123", "(02) 9999 9999". "24/7", "7/10", "1.5" or a
number inside a word are left alone (a date written 2026-07-01 would not be: the texts
this is for have none). Everything else in the text is escaped, so the
result is safe to put in a page as it is (``Markup``).
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

MIN_DIGITS = 3
MAX_DIGITS = 15  # the longest international number (E.164)

_NUMBER = re.compile(
    r"(?<![\w+(/.,:-])(?<!\d[ -])"  # not the tail of a word, a fraction or a decimal
    r"\+?(?:\(\d+\)[ -]?)?\d+(?:[ -]\d+)*"
    r"(?![\w/(]|[ .,:-]\d)"  # nor the head of one
)


def tel_href(number: str) -> str:
    """``tel:`` and the number's digits, with its leading ``+`` if it has one."""
    digits = re.sub(r"\D", "", number)
    return f"tel:{'+' if number.startswith('+') else ''}{digits}"


def linked_phone_numbers(text: str) -> Markup:
    """``text``, escaped, with each phone number in it a ``tel:`` link."""
    parts: list[str] = []
    shown = 0
    for match in _NUMBER.finditer(text):
        number = match.group()
        if not MIN_DIGITS <= sum(c.isdigit() for c in number) <= MAX_DIGITS:
            continue
        parts.append(escape(text[shown : match.start()]))
        parts.append(Markup('<a href="{}">{}</a>').format(tel_href(number), number))
        shown = match.end()
    parts.append(escape(text[shown:]))
    return Markup("").join(parts)
