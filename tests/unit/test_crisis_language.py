"""Crisis language recognised however it is written: the folding, the patterns by
category, and a bound on the work any text can cost (DESIGN 5b)."""

from __future__ import annotations

import pytest
import re2

from services.notifications.replies.crisis import crisis_language
from services.notifications.replies.crisis.patterns import MAX_FOLDED_GROWTH, MAX_IDIOMS_SKIPPED
from services.notifications.replies.reading import mentions_crisis, read_reply

LANGUAGE = crisis_language()


def folded(text: str) -> str:
    return LANGUAGE.folding.readings(text)[0]


# -- the folding ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("KİLL MYSELF", "kil myself"),  # Turkish dotted capital I
        ("kıll myself", "kil myself"),  # Turkish dotless i
        ("ｓｕｉｃｉｄｅ", "suicide"),  # full width
        ("𝐬𝐮𝐢𝐜𝐢𝐝𝐞", "suicide"),  # mathematical bold
        ("kil\u200dl my\u00adself", "kil myself"),  # zero-width joiner, soft hyphen
        ("su\u200bi\u200ccide\ufeff", "suicide"),  # zero-width space and non-joiner, BOM
        ("sui\u200ecide\u202e", "suicide"),  # bidi marks
        ("súícídé", "suicide"),  # accents
        ("sui\u0301cide", "suicide"),  # a combining accent
        ("ѕuісіdе", "suicide"),  # Cyrillic ѕ і с е
        ("kіll mуsеlf", "kil myself"),  # Cyrillic і у е
        ("оvеrdоsе", "overdose"),  # Cyrillic о е
        ("рills", "pils"),  # Cyrillic р looks like p (a transliteration says r)
        ("хanax", "xanax"),  # Cyrillic х looks like x (a transliteration says kh)
        ("ΚΙLL", "kil"),  # Greek capitals kappa and iota
        ("κιll mуself", "kil myself"),  # Greek small kappa and iota
        ("ᴋɪʟʟ", "kil"),  # small capitals
    ],
)
def test_letters_are_read_as_the_latin_letters_they_look_like(written, read):
    assert folded(written) == read


@pytest.mark.parametrize(
    "apostrophe", ["'", "’", "‘", "ʼ", "′", "＇", "ʹ", "`", "´", "‛", "ʻ", "ꞌ", "＇"]
)
def test_every_apostrophe_is_an_apostrophe(apostrophe):
    assert folded(f"I can{apostrophe}t go on") == "i cant go on"


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("s u i c i d e", "suicide"),
        ("s.u.i.c.i.d.e", "suicide"),
        ("s-u-i-c-i-d-e", "suicide"),
        ("s_u_i_c_i_d_e", "suicide"),
        ("k i l l  m y s e l f", "kil myself"),  # two spaces part the words
        ("k.i.l.l m.y.s.e.l.f", "kil myself"),  # so does another separator
        ("I am a b", "i am a b"),  # two single letters are left alone
    ],
)
def test_letters_spaced_dotted_or_hyphenated_apart_are_joined(written, read):
    assert folded(written) == read


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("suiiiicide", "suicide"),
        ("dieeee!!!!", "die"),
        ("killlll myself", "kil myself"),
        ("want to die...???", "want to die"),
        ("self-harm, again", "self | harm | again"),
    ],
)
def test_repeated_letters_and_punctuation_are_squeezed(written, read):
    assert folded(written) == read


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("want 2 die", "want to die"),
        ("k1ll myself", "kil myself"),
        ("$uicide", "suicide"),
        ("0verd0se", "overdose"),
        ("d!e", "die"),
        ("7/10 today", "7 | 10 today"),  # numbers alone stay numbers
        ("took 3 panadol", "tok 3 panadol"),
    ],
)
def test_digits_and_symbols_inside_words_are_read_as_letters(written, read):
    assert folded(written) == read


def test_a_spelled_out_run_may_start_with_the_word_i():
    assert LANGUAGE.folding.readings("I c a n t  g o  o n") == ("icant go on", "i cant go on")
    assert mentions_crisis("I c a n t  g o  o n")


def test_a_one_inside_a_word_may_be_an_i_or_an_l():
    assert LANGUAGE.folding.readings("ki11 myself") == ("ki myself", "kil myself")
    assert mentions_crisis("ki11 myself") and mentions_crisis("k1ll myself")


# -- the patterns ---------------------------------------------------------------------

BRIEF_CASES = [
    "KİLL MYSELF",
    "can´t go on",
    "ｓｕｉｃｉｄｅ",
    "I cannot go on anymore",
    "thinking about killing myself",
    "selfharm again tonight",
    "I overdosed last night",
    "I cannot go on",
    "kil\u200dl myself",
    "sui\u00adcide",
    "ѕuісіdе",
    "kіll mуsеlf",
    "suісіdе",
    "I can′t go on",
    "I can＇t go on",
    "I canʹt go on",
    "kill my self",
    "wanna die",
    "want 2 die",
    "end my own life",
    "overdosing",
    "self harming",
    "s-u-i-c-i-d-e",
    "s u i c i d e",
    "s.u.i.c.i.d.e",
    "k i l l  m y s e l f",
    "suiiiicide",
    "I want to dieeee",
    "k1ll myself",
]


@pytest.mark.parametrize("text", BRIEF_CASES)
def test_crisis_language_is_recognised_however_it_is_written(text):
    assert read_reply(text).intent == "crisis"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I'm going to kill myself", "kill_myself"),
        ("killed myself", "kill_myself"),
        ("kms", "kill_myself"),
        ("I want to unalive myself", "suicide"),
        ("I want to end it all", "kill_myself"),
        ("I want to end my life", "kill_myself"),
        ("I don't want to live anymore", "not_wanting_to_live"),
        ("i dont want to be alive", "not_wanting_to_live"),
        ("I don't want to be here anymore", "not_wanting_to_live"),
        ("I don't want to wake up tomorrow", "not_wanting_to_live"),
        ("I don't want to exist", "not_wanting_to_live"),
        ("no reason to live", "not_wanting_to_live"),
        ("better off dead", "better_off"),
        ("everyone would be better off without me", "better_off"),
        ("I can't do this anymore", "cant_go_on"),
        ("I cant take it any more", "cant_go_on"),
        ("I'm cutting myself", "self_harm"),
        ("I burned myself again", "self_harm"),
        ("I hurt myself.", "self_harm"),
        ("sh again", "self_harm"),
        ("I'm going to take all my pills", "overdose"),
        ("I'm going to OD", "overdose"),
        ("I want to hang myself", "means"),
        ("I'm going to jump off a bridge", "means"),
        ("jump in front of a train", "means"),
        ("I'm not safe", "not_safe"),
        ("scared of what I might do", "not_safe"),
        ("I've been having thoughts of dying", "ideation_and_plans"),
        ("this is goodbye", "goodbye"),
        ("tell everyone I'm sorry", "goodbye"),
        ("suicde", "suicide"),
        ("sucide", "suicide"),
        ("suiside", "suicide"),
        ("kil myself", "kill_myself"),
        ("took an overdoes", "overdose"),
    ],
)
def test_each_kind_of_crisis_language_has_its_patterns(text, category):
    assert category in LANGUAGE.categories_in(text)


@pytest.mark.parametrize("category", LANGUAGE.categories, ids=[c.name for c in LANGUAGE.categories])
def test_every_example_of_a_category_is_found_by_it(category):
    assert category.examples
    missed = [e for e in category.examples if category.name not in LANGUAGE.categories_in(e)]
    assert missed == []


@pytest.mark.parametrize(
    "text",
    [
        "this heat is killing me",
        "dead tired",
        "cut my hair",
        "took my pills on time",
        "killing it at work",
        "my feet are killing me",
        "I'd die for a coffee",
        "dying to see you",
        "the phone died",
        "cut back on smoking",
        "I could kill for a pizza",
        "hang out with friends",
        "jumped in the pool",
        "the suspense is killing me",
        "I need to cut myself some slack",
        "I'm burning myself out",
        "I'm taking my life back",
        "I nearly killed myself laughing",
        "that's odd",  # "odd" is squeezed to "od", which is not an overdose
        "blew my nose",  # nor is "nose" a noose
        "my son overdosed on sugar lol",
        "I should be dead tired tomorrow",
        "walked 5 kms",
        "it's 2 kms to town",
        "I can't go on Tuesday",
        "skilled myself at cooking",
        "I overdid the walk",
        "succeeded at last",
        "the seaside was lovely",
    ],
)
def test_everyday_idioms_with_crisis_words_are_not_a_crisis(text):
    assert read_reply(text).intent != "crisis"


def test_the_patterns_are_versioned_data_with_their_categories():
    assert LANGUAGE.version
    names = [c.name for c in LANGUAGE.categories]
    assert len(names) == len(set(names)) >= 10
    assert all(c.description for c in LANGUAGE.categories)


# -- bounded work ---------------------------------------------------------------------

HOSTILE = [
    "a" * 16_000,
    "k i l l " * 2_000,
    "kill " * 3_200,
    "want to " * 2_000,
    "s.u.i." * 2_666,
    "!" * 16_000,
    "\u200b" * 16_000,
    "\ufdfa" * 16_000,  # the widest NFKC expansion
    ("i " + "really " * 10) * 200,
    "1l|" * 5_333,
]


def test_every_pattern_runs_on_an_automaton_whose_work_is_bounded_by_construction():
    # RE2 never backtracks: a search costs at most program size x text length.
    assert LANGUAGE.engines and all(isinstance(e, re2._Regexp) for e in LANGUAGE.engines)
    assert LANGUAGE.program_size < 200_000
    organisation = LANGUAGE.phrases_regex(("dark place", "black cloud"))
    assert isinstance(organisation, re2._Regexp)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_16k_text_is_folded_within_a_known_bound_and_read(text):
    assert len(text) <= 16_000
    readings = LANGUAGE.folding.readings(text)
    assert 1 <= len(readings) <= 4
    assert all(len(r) <= MAX_FOLDED_GROWTH * len(text) for r in readings)
    assert read_reply(text).intent in ("crisis", "journal")
    # A crisis at the very end of a long text still counts.
    assert mentions_crisis(text[:15_980] + " kill myself")


def test_the_idioms_a_text_may_hide_behind_are_bounded_and_then_read_as_a_crisis():
    assert not mentions_crisis("I need to cut myself some slack. " * 3)
    assert mentions_crisis("I need to cut myself some slack. " * (MAX_IDIOMS_SKIPPED + 1))
