"""An organisation's crisis settings can only add safety: specific phrases that leave
everyday replies alone, crisis texts with a number to call, and the text a client gets
chosen by their region (DESIGN 5b)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from services.notifications.replies.crisis import platform_crisis_texts, region_of
from services.notifications.replies.crisis_rules import (
    refusal_of_crisis_text,
    refusal_of_phrase,
    refusal_of_region,
)
from services.notifications.replies.crisis_settings import CrisisSettings


@pytest.mark.parametrize("phrase", ["dark place", "black cloud", "hopeless", "Dark-Place!"])
def test_a_specific_phrase_is_accepted(phrase):
    assert refusal_of_phrase(phrase) is None


@pytest.mark.parametrize("phrase", ["kms", "sad", "low", "!!"])
def test_a_phrase_of_one_short_word_is_refused_by_name(phrase):
    assert phrase in refusal_of_phrase(phrase)


@pytest.mark.parametrize("phrase", ["is to", "want to", "I am", "to the"])
def test_a_phrase_matching_more_than_one_percent_of_everyday_replies_is_refused(phrase):
    refusal = refusal_of_phrase(phrase)
    assert refusal and f"'{phrase}'" in refusal and "everyday replies" in refusal


@pytest.mark.parametrize("text", ["Call 000 now", "Ring 988", "Samaritans 116 123", "13 11 14"])
def test_a_crisis_text_with_a_number_to_call_is_accepted(text):
    assert refusal_of_crisis_text(text) is None


@pytest.mark.parametrize("text", ["Call your coach", "We are here 24/7", "Ring 11 now"])
def test_a_crisis_text_without_a_number_to_call_is_refused(text):
    assert "number to call" in refusal_of_crisis_text(text)


@pytest.mark.parametrize("code", ["GB", "AU", "NZ", "IE", "US", "CA", "FR"])
def test_a_country_code_is_a_region(code):
    assert refusal_of_region(code) is None


@pytest.mark.parametrize("code", ["gb", "UK", "XX", "GBR", ""])
def test_anything_else_is_not_a_region(code):
    assert code in refusal_of_region(code) or code == ""


def test_the_platform_has_a_text_with_a_number_for_each_main_region():
    texts = platform_crisis_texts()
    assert {"AU", "NZ", "GB", "IE", "US", "CA"} <= set(texts.regions)
    assert "000" in texts.regions["AU"] and "13 11 14" in texts.regions["AU"]
    assert "111" in texts.regions["NZ"] and "1737" in texts.regions["NZ"]
    assert "999" in texts.regions["GB"] and "116 123" in texts.regions["GB"]
    assert "112" in texts.regions["IE"] and "116 123" in texts.regions["IE"]
    assert "911" in texts.regions["US"] and "988" in texts.regions["CA"]
    for text in (texts.default, *texts.regions.values()):
        assert refusal_of_crisis_text(text) is None
        assert "coach" not in text.lower()  # who to call, nothing else


@pytest.mark.parametrize(
    ("phone", "locale", "region"),
    [
        ("+61412345678", "en", "AU"),
        ("+447700900123", "en-AU", "GB"),  # the phone wins over the locale
        ("+64211234567", "en", "NZ"),
        ("+353851234567", "en", "IE"),
        ("+16135550123", "en", "CA"),
        ("+12025550123", "en", "US"),
        (None, "en-GB", "GB"),
        (None, "en_ie", "IE"),
        ("not a number", "en-NZ", "NZ"),
        (None, "en", None),
        (None, None, None),
    ],
)
def test_a_clients_region_is_their_phones_else_their_locales(phone, locale, region):
    assert region_of(SimpleNamespace(phone=phone, locale=locale)) == region


def test_the_crisis_text_is_the_organisations_for_the_region_then_the_platforms():
    platform = platform_crisis_texts()
    own = CrisisSettings(own_text="Call Harbour on 1800 000 111.", own_texts={"GB": "Ring 999."})
    assert own.text_for("GB") == "Ring 999."
    assert own.text_for("AU") == platform.regions["AU"]
    assert own.text_for("FR") == "Call Harbour on 1800 000 111."
    assert own.text_for(None) == "Call Harbour on 1800 000 111."
    assert CrisisSettings().text_for("FR") == platform.default
    assert CrisisSettings().text_for("NZ") == platform.regions["NZ"]
