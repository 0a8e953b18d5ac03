"""Crisis texts by region: who a client in crisis should call, where they are.

The platform's texts are reviewed data (``crisis_texts.toml``); an organisation's own
texts come first (``crisis_settings.py``). A client's region is their phone number's
country, else the region of their locale (``en-GB``), else unknown.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Protocol

import phonenumbers

TEXTS_FILE = "crisis_texts.toml"
# A number to call: at least three digits, perhaps spaced or hyphenated ("000", "988",
# "116 123", "13 11 14"); "24/7" is not one.
_NUMBER_TO_CALL = re.compile(r"[0-9](?:[ \-.]?[0-9]){2,}")
_LOCALE_PART = re.compile(r"[-_]")


class HasPhoneAndLocale(Protocol):
    phone: str | None
    locale: str | None


@dataclass(frozen=True)
class PlatformCrisisTexts:
    """The platform's crisis texts: one per region, and one for anywhere else."""

    version: str
    default: str
    regions: dict[str, str]
    # The same texts in another language: {"es": {"default": ..., "AU": ...}}.
    languages: dict[str, dict[str, str]] = field(default_factory=dict)

    def text_for(self, region: str | None, language: str | None = None) -> str | None:
        """The platform's text for ``region`` in ``language`` (else English); None where
        it has none."""
        if not region:
            return None
        return self.languages.get(language or "", {}).get(region) or self.regions.get(region)

    def default_in(self, language: str | None = None) -> str:
        """The text for anywhere else, in ``language`` (else English)."""
        return self.languages.get(language or "", {}).get("default") or self.default


@functools.cache
def platform_crisis_texts() -> PlatformCrisisTexts:
    text = resources.files(__package__).joinpath(TEXTS_FILE).read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return PlatformCrisisTexts(
        data["version"],
        data["default"],
        dict(data["regions"]),
        {language: dict(texts) for language, texts in data.get("languages", {}).items()},
    )


def has_number_to_call(text: str) -> bool:
    """True when ``text`` gives a number to call (at least three digits)."""
    return _NUMBER_TO_CALL.search(text) is not None


def is_region(code: str) -> bool:
    """An ISO 3166 alpha-2 code of a country with phone numbers ("GB", "AU")."""
    return len(code) == 2 and code in phonenumbers.SUPPORTED_REGIONS


def region_of(contact: HasPhoneAndLocale) -> str | None:
    """The client's region: their phone number's country, else their locale's region
    (``en-GB`` -> ``GB``), else None."""
    return region_of_phone(contact.phone) or _region_of_locale(contact.locale)


def region_of_phone(phone: str | None) -> str | None:
    """The country of an international (E.164) phone number, else None."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    # A number outside the allocated ranges still has a country: its calling code's.
    region = phonenumbers.region_code_for_number(number) or (
        phonenumbers.region_code_for_country_code(number.country_code)
    )
    return region if region and is_region(region) else None


def _region_of_locale(locale: str | None) -> str | None:
    for part in _LOCALE_PART.split(locale or "")[1:]:
        if is_region(part.upper()) and part.isalpha():
            return part.upper()
    return None
