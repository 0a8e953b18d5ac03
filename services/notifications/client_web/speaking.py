"""The language the client's pages speak: the client's own (``wording.locales``: their
locale, its base language, their organisation's default, English) once a link names
them, else the browser's ``Accept-Language`` among the languages the platform ships.

The pages' templates say their words through Jinja's i18n extension (``_()`` and
``ngettext()``, newstyle: values are escaped), the views through :func:`gettext`; both
read the catalog of the request under way.
"""

from __future__ import annotations

import uuid

from flask import Flask, g, has_request_context, request

from services.notifications.wording.locales import (
    DEFAULT_LOCALE,
    N_,
    shipped_catalogs,
    translations,
)

__all__ = ["N_", "gettext", "html_lang", "install", "language", "ngettext", "speak", "speak_to"]

_LANGUAGE = "client_language"


def speak(language: str) -> None:
    """Answer this request in ``language`` (a shipped catalog's name)."""
    g.setdefault("_client_language_set", True)
    setattr(g, _LANGUAGE, language)


def speak_to(tenant_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """Answer this request in the language of the client a link names."""
    from services.notifications.client_web import use_cases
    from shared.runtime import current_runtime

    speak(use_cases.language_for(current_runtime().unit_of_work(), tenant_id, client_id))


def language() -> str:
    """The language of the request under way."""
    if not has_request_context():
        return DEFAULT_LOCALE
    chosen = g.get(_LANGUAGE)
    if chosen:
        return chosen
    shipped = [name.replace("_", "-") for name in shipped_catalogs()]
    best = request.accept_languages.best_match(shipped, default=DEFAULT_LOCALE)
    return best.replace("-", "_")


def html_lang() -> str:
    return language().replace("_", "-")


def gettext(message: str) -> str:
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(language()).ngettext(singular, plural, count)


def install(app: Flask) -> None:
    """Give the app's templates ``_()``/``gettext()``/``ngettext()`` in the request's
    language (once per app)."""
    env = app.jinja_env
    if "jinja2.ext.InternationalizationExtension" not in env.extensions:
        env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
