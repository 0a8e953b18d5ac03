"""What an organisation's crisis settings may be: rules that only let them add safety.

A phrase must be specific (at least 2 words or 6 letters) and must not read most
everyday replies as a crisis (at most ``MAX_PHRASE_SHARE`` of the everyday corpus); a
crisis text must give a number to call; a region is an ISO 3166 alpha-2 country code; an
on-call contact is an email address or an E.164 phone.
Each rule answers with the reason, naming the value, or None.
"""

from __future__ import annotations

import re

from services.notifications.replies.crisis import (
    MAX_PHRASE_SHARE,
    crisis_language,
    everyday_share,
    has_number_to_call,
    is_region,
)

E164 = re.compile(r"\+[1-9][0-9]{6,14}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
MIN_PHRASE_WORDS = 2
MIN_PHRASE_LETTERS = 6


def refusal_of_phrase(phrase: str) -> str | None:
    words = crisis_language().phrase_words(phrase)
    if not words:
        return f"{phrase!r} has no letter or digit to match."
    letters = sum(c.isalpha() for c in crisis_language().folding.letters(phrase))
    if len(words) < MIN_PHRASE_WORDS and letters < MIN_PHRASE_LETTERS:
        return (
            f"{phrase!r} is too short to mean a crisis: a phrase needs at least "
            f"{MIN_PHRASE_WORDS} words or {MIN_PHRASE_LETTERS} letters."
        )
    share = everyday_share([phrase])
    if share > MAX_PHRASE_SHARE:
        return (
            f"{phrase!r} would read {share:.1%} of everyday replies as a crisis "
            f"(at most {MAX_PHRASE_SHARE:.0%}): make it more specific."
        )
    return None


def refusal_of_crisis_text(text: str) -> str | None:
    if has_number_to_call(text):
        return None
    return (
        "A crisis text must give a number to call (at least 3 digits, like 000, 988 or 13 11 14)."
    )


def refusal_of_region(code: str) -> str | None:
    if is_region(code):
        return None
    return f"{code!r} is not a country code: use ISO 3166 alpha-2 in capitals, like GB or AU."


def on_call_channel(contact: str) -> str | None:
    """``sms`` for an E.164 phone, ``email`` for an email address, None for neither."""
    if E164.fullmatch(contact):
        return "sms"
    if EMAIL.fullmatch(contact):
        return "email"
    return None


def refusal_of_on_call(contact: str) -> str | None:
    if on_call_channel(contact) is not None:
        return None
    return "Not an email address or an E.164 phone number (like +61412345678)."
