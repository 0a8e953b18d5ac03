"""Reading a client's reply: crisis first, then a 1-10 mood, then done, else journal."""

from __future__ import annotations

import pytest

from services.notifications.replies.reading import mentions_crisis, normalised, read_reply


@pytest.mark.parametrize(
    "text",
    [
        "I want to KILL MYSELF",
        "thinking about suicide tonight",
        "i can't go on",
        "I can’t go on",  # a typographic apostrophe
        "cant... go on!!",
        "Self-harm again",
        "SELF HARM",
        "took an overdose.",
        "I want to end my life",
        "7 but honestly I want to end my life",  # a crisis is never read as a mood
    ],
)
def test_crisis_phrases_match_whatever_the_case_or_punctuation(text):
    assert read_reply(text).intent == "crisis"


@pytest.mark.parametrize(
    "text",
    ["skilled myself at cooking", "I overdid the walk", "the weekend was killer", "selfish"],
)
def test_a_phrase_must_be_whole_words(text):
    assert read_reply(text).intent != "crisis"


def test_an_organisations_own_phrases_add_to_the_platforms_patterns():
    assert read_reply("I'm in a dark place").intent == "journal"
    assert read_reply("I'm in a DARK-place", ["dark place"]).intent == "crisis"
    assert read_reply("thinking about suicide", ["dark place"]).intent == "crisis"
    assert mentions_crisis("I'm in a dark place", ("dark place",))


def test_an_organisations_phrase_is_matched_as_whole_words():
    assert read_reply("the darkplaces tour", ["dark place"]).intent == "journal"


@pytest.mark.parametrize(
    ("text", "rating"),
    [("7", 7), ("7/10", 7), (" 7 / 10 ", 7), ("4 rough day", 4), ("10", 10), ("1", 1),
     ("3, not great", 3), ("10/10 brilliant", 10), ("8!", 8)],
)  # fmt: skip
def test_a_number_from_1_to_10_alone_or_leading_is_a_mood(text, rating):
    reading = read_reply(text)
    assert (reading.intent, reading.rating) == ("mood", rating)


@pytest.mark.parametrize("text", ["11", "0", "7.5", "3pm meeting", "7/9", "100", "-3", "42 days"])
def test_other_numbers_are_journal_entries(text):
    reading = read_reply(text)
    assert (reading.intent, reading.rating) == ("journal", None)


@pytest.mark.parametrize("text", ["DONE", "done", "Did it", "did it!", "yes", "Yes.", " YES "])
def test_done_did_it_and_yes_claim_a_step_done(text):
    assert read_reply(text).intent == "done"


@pytest.mark.parametrize("text", ["done with this", "yes please call me", "not done", ""])
def test_anything_else_is_a_journal_entry(text):
    assert read_reply(text).intent == "journal"


def test_normalising_drops_apostrophes_and_folds_punctuation():
    assert normalised("  Can’t-GO   on!! ") == "cant go on"
