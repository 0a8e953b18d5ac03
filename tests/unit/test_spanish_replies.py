"""Replies read in every shipped language whatever the client's locale: the Spanish
keywords, DONE words and confirmation codes, and the Spanish crisis lines of the corpus
(the corpus test holds them to 100% recall and the everyday ones to the false-alarm bar)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.notifications.replies.crisis import crisis_language
from services.notifications.replies.crisis.corpus import corpus_lines
from services.notifications.replies.opt_outs import keyword_of
from services.notifications.replies.reading import read_reply
from services.notifications.replies.routing import code_in

CORPUS = Path(__file__).resolve().parents[1] / "data" / "crisis"
SPANISH = "# -- Spanish (es)"


def _spanish_section(name: str) -> list[str]:
    text = (CORPUS / name).read_text(encoding="utf-8")
    return corpus_lines(text[text.index(SPANISH) :])


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("BAJA", "stop"),
        ("baja.", "stop"),
        ("Parar", "stop"),
        ("ALTO!", "stop"),
        ("cancelar", "stop"),
        ("ALTA", "start"),
        ("inicio", "start"),
        ("AYUDA", "help"),
        ("Ayúda", "help"),  # accents optional
        ("STOP", "stop"),  # English whatever the locale
        ("baja de peso", None),
        ("hola", None),
    ],
)
def test_spanish_keywords_are_read_whatever_the_locale(body, keyword):
    assert keyword_of(body) == keyword


@pytest.mark.parametrize("text", ["HECHO", "hecho!", "Lo hice", "sí", "SI", "listo", "done"])
def test_spanish_done_words_claim_a_step(text):
    assert read_reply(text).intent == "done"


@pytest.mark.parametrize(("body", "code"), [("SÍ 4821", "4821"), ("si4821", "4821")])
def test_a_confirmation_code_may_come_after_si(body, code):
    assert code_in(body) == code


def test_the_corpus_has_spanish_lines_of_each_kind():
    crisis = _spanish_section("crisis.txt")
    everyday = _spanish_section("everyday.txt")
    assert len(crisis) >= 100 and len(everyday) >= 150
    language = crisis_language()
    found = {name for line in crisis for name in language.categories_in(line)}
    assert {c.name for c in language.categories if c.name.startswith("es_")} <= found


def test_every_spanish_crisis_line_is_read_as_a_crisis():
    language = crisis_language()
    assert [line for line in _spanish_section("crisis.txt") if not language.mentions(line)] == []


def test_everyday_spanish_replies_are_not_read_as_a_crisis():
    language = crisis_language()
    everyday = _spanish_section("everyday.txt")
    alarms = [line for line in everyday if language.mentions(line)]
    assert len(alarms) <= 0.02 * len(everyday), alarms


@pytest.mark.parametrize(
    "text",
    [
        "I want to kill myself",  # English from a Spanish-speaking client
        "me quiero morir",  # Spanish from an English-speaking one
        "ya no puedo más, quiero desaparecer para siempre",
        "MÉ VOY Á MATAR",
        "n o  q u i e r o  v i v i r",
    ],
)
def test_the_crisis_reader_checks_every_language(text):
    assert read_reply(text).intent == "crisis"


def test_who_to_call_is_said_in_the_clients_language_with_the_regions_numbers():
    from services.notifications.replies.crisis import has_number_to_call, platform_crisis_texts
    from services.notifications.replies.crisis_settings import CrisisSettings

    texts = platform_crisis_texts()
    assert set(texts.languages["es"]) == set(texts.regions) | {"default"}
    for region, english in texts.regions.items():
        spanish = texts.text_for(region, "es")
        numbers = set(re.findall(r"\d(?:[ \-.]?\d){2,}", english))
        assert spanish != english and numbers <= set(re.findall(r"\d(?:[ \-.]?\d){2,}", spanish))
        assert has_number_to_call(spanish)
    assert "024" in texts.text_for("ES", "es") and "024" in texts.text_for("ES")
    assert CrisisSettings().text_for(None, "es").startswith("Si estás en peligro")
    # An organisation's own text is its own, in whatever language it wrote it.
    assert CrisisSettings(own_text="Call 000 or us on 1800 111 222.").text_for(None, "es") == (
        "Call 000 or us on 1800 111 222."
    )
