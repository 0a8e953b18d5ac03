"""The languages the platform speaks to clients: which one a message goes in, and its words.

A client's ``locale`` (BCP 47, "es-MX") and their organisation's default locale choose
the language: the client's locale, then its base language ("es"), then the
organisation's default (and its base), then English. A locale counts when the platform
ships a catalog for it (``SHIPPED``) or, for a template, when the organisation wrote one
in it.

The catalogs are gettext ``.po`` files under ``locale/<language>/LC_MESSAGES/``,
extracted with Babel (``make messages``: ``pybabel extract``/``update``); they are read
and compiled in memory the first time a language is used, so there is no build step and
no ``.mo`` file to forget. Dates and times are written by Babel in the client's locale
and timezone.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Iterable
from datetime import datetime
from importlib import resources
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LOCALE = "en"
# The languages with a catalog in the package; English is the wording in the code itself.
SHIPPED = ("en", "es")
DOMAIN = "messages"
MAX_LOCALE_LENGTH = 35  # BCP 47 recommends at least 35 characters be supported
# How a message names a moment: "Tue 14 Apr, 10:00" (en), "mar 14 abr, 10:00" (es).
MOMENT_PATTERN = "EEE dd MMM, HH:mm"


def N_(message: str) -> str:
    """Marks a message for the catalogs (``pybabel extract``); translated where used."""
    return message


class LocaleInvalid(ValueError):
    """Not a BCP 47 locale Babel knows."""


def parsed(tag: str) -> Locale:
    """The Babel locale of a BCP 47 tag ("es-MX", "es_MX", "pt"); :class:`LocaleInvalid`
    when it is not one."""
    if not isinstance(tag, str) or not tag or len(tag) > MAX_LOCALE_LENGTH:
        raise LocaleInvalid("Not a locale.")
    try:
        return Locale.parse(tag.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise LocaleInvalid(
            f"Unknown locale {tag!r}: use a BCP 47 tag such as en or es-MX."
        ) from exc


def normalised(tag: str) -> str:
    """A valid locale written the BCP 47 way ("es_mx" -> "es-MX")."""
    locale = parsed(tag)
    return "-".join(p for p in (locale.language, locale.script, locale.territory) if p)


def candidates(client_locale: str | None, organisation_locale: str | None) -> list[str]:
    """The locales to try, in order: the client's, its base language, the organisation's,
    its base language, English. Unknown tags are skipped."""
    chain: list[str] = []
    for tag in (client_locale, organisation_locale):
        if not tag:
            continue
        installed = tag.replace("-", "_")
        if installed in _INSTALLED:  # a pseudo-locale ("en-XA") names itself
            chain.append(installed)
            continue
        try:
            locale = parsed(tag)
        except LocaleInvalid:
            continue
        for name in (str(locale), locale.language):
            if name not in chain:
                chain.append(name)
    if DEFAULT_LOCALE not in chain:
        chain.append(DEFAULT_LOCALE)
    return chain


def resolve(
    client_locale: str | None,
    organisation_locale: str | None,
    available: Iterable[str] = SHIPPED,
) -> str:
    """The first of :func:`candidates` that is ``available`` (the shipped catalogs, plus
    any locale the organisation has a template in): the message's ``locale_used``."""
    have = set(available) | {DEFAULT_LOCALE}
    return next(name for name in candidates(client_locale, organisation_locale) if name in have)


def shipped_locale(client_locale: str | None, organisation_locale: str | None = None) -> str:
    """The language of the platform's own words (pages, answers) for a client."""
    return resolve(client_locale, organisation_locale, shipped_catalogs())


# Catalogs installed at run time rather than shipped as files: a pseudo-locale that
# wraps every message, which the tests use to find words that skip the catalogs.
_INSTALLED: dict[str, gettext.NullTranslations] = {}


def install(locale: str, catalog: gettext.NullTranslations) -> None:
    """Speak ``locale`` with ``catalog`` from now on, in this process."""
    _INSTALLED[locale] = catalog
    translations.cache_clear()


def shipped_catalogs() -> tuple[str, ...]:
    """English, and every language with a catalog in the package or installed."""
    return tuple(dict.fromkeys((DEFAULT_LOCALE, *_packaged(), *sorted(_INSTALLED))))


@functools.cache
def _packaged() -> tuple[str, ...]:
    folder = resources.files(__package__).joinpath("locale")
    return tuple(sorted(entry.name for entry in folder.iterdir() if entry.is_dir()))


@functools.cache
def translations(locale: str) -> gettext.NullTranslations:
    """The catalog of ``locale`` (a name from :func:`resolve`), compiled from its ``.po``
    once per process; English and unknown names get the wording in the code."""
    if locale in _INSTALLED:
        return _INSTALLED[locale]
    source = resources.files(__package__).joinpath("locale", locale, "LC_MESSAGES", f"{DOMAIN}.po")
    if locale == DEFAULT_LOCALE or not source.is_file():
        return gettext.NullTranslations()
    with source.open("rb") as po:
        catalog = read_po(po, locale=babel_name(locale))
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def babel_name(locale: str) -> str:
    """The CLDR locale Babel formats ``locale``'s dates and plurals with."""
    # Pseudo-locales ("en_XA") are not in CLDR: their plural rules are English's.
    try:
        return str(parsed(locale))
    except LocaleInvalid:
        return DEFAULT_LOCALE


def gettext_of(locale: str):
    return translations(locale).gettext


def moment_label(moment: datetime, timezone: str, locale: str = DEFAULT_LOCALE) -> str:
    """A moment as a message names it, in the client's timezone and language."""
    return format_datetime(
        moment, MOMENT_PATTERN, tzinfo=ZoneInfo(timezone), locale=babel_name(locale)
    )
