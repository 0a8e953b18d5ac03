"""Crisis language and who to call: what makes a client's reply a crisis message, and
the text they get at once (DESIGN 5b).

- ``patterns.toml``: the reviewed, versioned crisis patterns by category, with examples;
  ``patterns.py`` compiles them once (RE2: matching time linear in the text) and
  ``folding.py`` reads a text however it is written (Unicode, look-alike letters,
  spacing, leetspeak) before they are matched.
- ``corpus.py`` and ``everyday.txt``: the everyday replies the patterns, and each
  organisation's own phrases, must leave alone; ``report.py`` is ``make crisis-report``.
- ``regions.py`` and ``crisis_texts.toml``: the platform's crisis texts by country, and
  a client's region.

Entry points: :func:`crisis_language` (``.mentions(text, extra_phrases)``),
:func:`region_of`, :func:`region_of_phone`, :func:`platform_crisis_texts`, :func:`has_number_to_call`,
:func:`everyday_share`.
"""

from services.notifications.replies.crisis.corpus import MAX_PHRASE_SHARE, everyday_share
from services.notifications.replies.crisis.patterns import CrisisLanguage, crisis_language
from services.notifications.replies.crisis.regions import (
    has_number_to_call,
    is_region,
    platform_crisis_texts,
    region_of,
    region_of_phone,
)

__all__ = [
    "MAX_PHRASE_SHARE",
    "CrisisLanguage",
    "crisis_language",
    "everyday_share",
    "has_number_to_call",
    "is_region",
    "platform_crisis_texts",
    "region_of",
    "region_of_phone",
]
