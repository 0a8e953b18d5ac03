"""Every message in the client's language: the fallback chain, the catalogs (plural forms,
dates), the Spanish wording with no English left, and a pseudo-locale that finds words
that skip the catalogs."""

from __future__ import annotations

import gettext
import re
from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po

from services.notifications.wording import locales
from services.notifications.wording.defaults import DEFAULT_TEMPLATES, default_templates
from services.notifications.wording.kinds import KINDS
from services.notifications.wording.segments import sms_segments
from services.notifications.wording.templates import render, sample_variables, template_parts

CATALOG = locales.resources.files(locales.__package__).joinpath(
    "locale", "es", "LC_MESSAGES", "messages.po"
)
CLIENT_KINDS = sorted(
    (kind, channel)
    for kind, channel in DEFAULT_TEMPLATES
    if KINDS[kind].audience in ("client", "number")  # staff (coach, on call): English
)


# -- which language --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client", "organisation", "expected"),
    [
        ("es", None, "es"),
        ("es-MX", None, "es"),  # its base language
        ("es_AR", "en", "es"),
        ("fr-CA", "es", "es"),  # the organisation's default
        ("fr", "es-CL", "es"),  # and its base language
        ("fr", "de", "en"),  # then English
        (None, None, "en"),
        ("not a locale", "es", "es"),  # an unreadable tag is passed over
        ("en-GB", "es", "en"),
    ],
)
def test_the_language_falls_back_from_the_client_to_its_base_to_the_organisation_to_english(
    client, organisation, expected
):
    assert locales.resolve(client, organisation) == expected


def test_the_chain_names_each_step_once_and_an_organisation_template_counts_as_a_language():
    assert locales.candidates("es-MX", "es") == ["es_MX", "es", "en"]
    assert locales.candidates("pt-BR", "fr") == ["pt_BR", "pt", "fr", "en"]
    # An organisation that wrote its own Portuguese template is spoken to in it.
    assert locales.resolve("pt-BR", "es", ("en", "es", "pt")) == "pt"
    assert locales.resolve("pt-BR", "es", ("en", "es", "pt_BR")) == "pt_BR"


@pytest.mark.parametrize("tag", ["xx", "123", "e n", "", "es-" + "x" * 40])
def test_a_tag_babel_does_not_know_is_refused(tag):
    with pytest.raises(locales.LocaleInvalid):
        locales.parsed(tag)


def test_a_locale_is_written_the_bcp47_way():
    assert locales.normalised("es_mx") == "es-MX"
    assert locales.normalised("zh-Hant-TW") == "zh-Hant-TW"


# -- the catalogs --------------------------------------------------------------------------


def test_the_spanish_catalog_translates_every_message_and_keeps_its_variables():
    with CATALOG.open("rb") as po:
        catalog = read_po(po, locale="es")
    assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"
    untranslated, lost = [], []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(ids[0])
        wanted = set(re.findall(r"\{\{.*?\}\}|\{%.*?%\}|%\(\w+\)s|\{\w+\}", ids[-1]))
        for string in strings:
            if set(re.findall(r"\{\{.*?\}\}|\{%.*?%\}|%\(\w+\)s|\{\w+\}", string)) != wanted:
                lost.append(ids[0])
    assert untranslated == [] and lost == []


@pytest.mark.parametrize(
    ("locale", "count", "expected"),
    [
        ("en", 1, "with 1 goal to start with"),
        ("en", 2, "with 2 goals to start with"),
        ("en", 0, None),  # no count, no sentence
        ("es", 1, "con 1 objetivo para empezar"),
        ("es", 3, "con 3 objetivos para empezar"),
    ],
)
def test_plural_forms_follow_the_catalogs_rule(locale, count, expected):
    variables = sample_variables("plan_ready", "email") | {"goal_count": count}
    text = render("plan_ready", "email", variables, locale=locale).text
    if expected is None:
        assert "goal" not in text.split("\n\n")[1] and "objetivo" not in text
    else:
        assert expected in text


def test_the_digest_counts_one_step_and_several_in_each_language():
    base = sample_variables("weekly_digest", "sms")
    one = base | {"steps_done": 1, "steps_planned": 1}
    several = base | {"steps_done": 2, "steps_planned": 5}
    assert "1 of 1 step done" in render("weekly_digest", "sms", one).text
    assert "2 of 5 steps done" in render("weekly_digest", "sms", several).text
    assert "1 de 1 paso hecho" in render("weekly_digest", "sms", one, locale="es").text
    assert "2 de 5 pasos hechos" in render("weekly_digest", "sms", several, locale="es").text


def test_dates_are_written_by_babel_in_the_clients_language_and_timezone():
    moment = datetime(2026, 4, 14, 0, 0, tzinfo=UTC)
    assert locales.moment_label(moment, "Australia/Sydney") == "Tue 14 Apr, 10:00"
    assert locales.moment_label(moment, "Australia/Sydney", "es") == "mar 14 abr, 10:00"
    assert locales.moment_label(moment, "America/Mexico_City", "es") == "lun 13 abr, 18:00"


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("¿Cómo te sientes hoy?", "UCS-2", 1),  # "ó" is not in GSM 03.38
        ("¿Como te sientes hoy?", "GSM-7", 1),  # "¿" is
        ("Hola, ¿cómo estás? " * 4, "UCS-2", 2),  # 76 UTF-16 units: two of 67
        ("Mañana, año, niño " * 9, "GSM-7", 2),  # ñ is GSM-7: 162 septets
    ],
)
def test_segments_are_counted_per_encoding(text, encoding, segments):
    counted = sms_segments(text)
    assert (counted.encoding, counted.segments) == (encoding, segments)


# -- no English left -------------------------------------------------------------------------

# Words of the English wording that Spanish never uses (variables' sample values aside).
ENGLISH = re.compile(
    r"\b(?:Hi|Your|your|the|with|Reply|Thanks|Well done|reminder|week|steps?|goals?|"
    r"coach will|check-in|feeling|today|emails?|page|Warm regards|opt out|Welcome)\b"
)


@pytest.mark.parametrize(("kind", "channel"), CLIENT_KINDS)
def test_the_spanish_wording_leaves_no_english(kind, channel):
    variables = _spanish_sample(kind, channel)
    rendered = render(kind, channel, variables, locale="es")
    for part in template_parts(channel):
        text = getattr(rendered, part) or ""
        visible = _visible(text, variables)
        assert not ENGLISH.search(visible), (part, ENGLISH.search(visible), visible)
    if channel == "email":
        assert '<html lang="es">' in rendered.html


# -- a pseudo-locale -------------------------------------------------------------------------

OPEN, CLOSE = "\u27e6", "\u27e7"  # ⟦ and ⟧


class _Wrapping(gettext.NullTranslations):
    """en_XA: every message wrapped, so a word outside the markers skipped the catalog."""

    def gettext(self, message):
        return f"{OPEN}{message}{CLOSE}"

    def ngettext(self, singular, plural, n):
        return f"{OPEN}{singular if n == 1 else plural}{CLOSE}"


@pytest.fixture
def pseudo_locale():
    locales.install("en_XA", _Wrapping())
    yield "en_XA"
    locales._INSTALLED.pop("en_XA")
    locales.translations.cache_clear()


@pytest.mark.parametrize(("kind", "channel"), CLIENT_KINDS)
def test_every_word_of_the_client_wording_goes_through_the_catalog(pseudo_locale, kind, channel):
    variables = _spanish_sample(kind, channel)
    rendered = render(kind, channel, variables, locale=pseudo_locale)
    for part in template_parts(channel):
        outside = _outside_markers(_visible(getattr(rendered, part) or "", variables))
        assert not re.search(r"[A-Za-z]{2,}", outside), (kind, channel, part, outside)


def test_the_pseudo_locale_is_a_language_like_any_other(pseudo_locale):
    assert "en_XA" in locales.shipped_catalogs()
    assert default_templates("en_XA")[("welcome", "sms")]["text"].count(OPEN) >= 2


# -- helpers ---------------------------------------------------------------------------------


def _spanish_sample(kind: str, channel: str) -> dict:
    """The sample variables with values that are not English words."""
    values = sample_variables(kind, channel) | {
        "name": "Lucía",
        "organisation_name": "Centro Aurora",
        "action_title": "Paseo matutino",
        "goal_title": "Unirme al huerto",
        "goals_achieved": ["Unirme al huerto"],
        "mode": "por vídeo",
        "crisis_text": "Llama al 024 ahora.",
        "supporter_text": "Lucía no respondió hoy.",  # fixed text, written by ``supporters``
        "first_name": "Lucía",
        "next_steps": [{"title": "Paseo matutino", "when": "lun 13 abr, 10:00"}],
        "due_local": "mar 14 abr, 10:00",
        "starts_local": "mié 15 abr, 14:30",
        "next_checkin": "mié 15 abr, 14:30",
    }
    return {
        name: value for name, value in values.items() if name in sample_variables(kind, channel)
    }


def _visible(text: str, variables: dict) -> str:
    """The text without markup, links and the variables' own values."""
    text = re.sub(r"<style.*?</style>|<head>.*?</head>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>|https?://[^\s\u27e7\"]+|&#?\w+;", " ", text)
    values = [str(v) for v in variables.values() if isinstance(v, (str, int))]
    values += [g for g in variables.get("goals_achieved", [])]
    values += [s[k] for s in variables.get("next_steps", []) for k in ("title", "when")]
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def _outside_markers(text: str) -> str:
    # Innermost first: a message may hold another ("with {organisation}").
    inner = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
    while inner.search(text):
        text = inner.sub(" ", text)
    return text


def test_the_catalogs_hold_every_message_the_code_marks():
    """``make messages`` was run: every message Babel extracts is in each catalog."""
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = Path(__file__).resolve().parents[2]
    with (root / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "_plural": (1, 2)}
    extracted = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            root / "services" / "notifications", method_map, options_map, keywords=keywords
        )
    }
    with CATALOG.open("rb") as po:
        catalog = read_po(po, locale="es")
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert extracted - known == set()


# -- the safety plan and the supporters --------------------------------------------------------


def test_the_plan_by_sms_says_its_fixed_words_in_the_clients_language(pseudo_locale):
    from services.notifications.safety_plans.sections import plan_texts

    plan = {"warning_signs": ["Dormir mal"], "professionals": [{"name": "Dra. Ruiz"}]}
    [english] = plan_texts(plan, "Llama al 024.")
    assert english == (
        "Your safety plan. Help now: Llama al 024.\n1. Warning signs:\n- Dormir mal\n"
        "5. Professionals and services:\n- the crisis line above\n- Dra. Ruiz"
    )
    [spanish] = plan_texts(plan, "Llama al 024.", locales.gettext_of("es"))
    assert spanish.startswith("Tu plan de seguridad. Ayuda ahora: Llama al 024.\n")
    assert "1. Señales de alerta:" in spanish and "- la línea de crisis de arriba" in spanish
    assert not ENGLISH.search(_visible(spanish, {"a": "Dormir mal", "b": "Dra. Ruiz"}))
    [pseudo] = plan_texts(plan, "Llama al 024.", locales.gettext_of(pseudo_locale))
    outside = _outside_markers(pseudo.replace("Llama al 024.", " "))
    assert not re.search(r"[A-Za-z]{2,}", _visible(outside, {"a": "Dormir mal", "b": "Dra. Ruiz"}))


@pytest.mark.parametrize(
    "body",
    [
        "PLAN",
        "plan",
        "Safety plan",
        "PLAN DE SEGURIDAD",
        "plan de seguridad.",
        "Plan de Segurídad",
        "mi plan",
        "¿Plan?",
    ],  # fmt: skip
)
def test_plan_is_asked_for_in_every_shipped_language(body):
    from services.notifications.safety_plans.sections import asks_for_plan

    assert asks_for_plan(body)


@pytest.mark.parametrize("body", ["planes", "my plan is fine", "seguridad", ""])
def test_other_words_do_not_ask_for_the_plan(body):
    from services.notifications.safety_plans.sections import asks_for_plan

    assert not asks_for_plan(body)


def test_a_supporter_is_told_the_fixed_english_text_or_its_fixed_translation(pseudo_locale):
    from services.notifications.supporters import rules

    assert rules.text_of(rules.ALERT, "Jo") == (
        "Jo hasn't replied to today's check-in. You might want to get in touch."
    )
    spanish = locales.gettext_of("es")
    assert rules.text_of(rules.ALERT, "Lucía", _=spanish) == (
        "Lucía no ha respondido al seguimiento de hoy. Quizá quieras ponerte en contacto."
    )
    for kind in rules.KINDS:
        for channel in ("sms", "email"):
            text = rules.text_of(kind, "Lucía", "Centro Aurora", channel, spanish)
            assert "Lucía" in text and not ENGLISH.search(text.replace("Lucía", " ")), text
            pseudo = rules.text_of(kind, "Lucía", None, channel, locales.gettext_of(pseudo_locale))
            outside = _outside_markers(pseudo.replace("Lucía", " "))
            assert not re.search(r"[A-Za-z]{2,}", outside), (kind, channel, pseudo)
    assert rules.first_name(None, None, spanish) == "Tu amigo o amiga"


@pytest.mark.parametrize("body", ["YES", "sí", "Si", "SÍ.", "acepto", "Sí, acepto"])
def test_a_supporter_agrees_in_every_shipped_language(body):
    from services.notifications.supporters import rules

    assert rules.says_yes(body)
