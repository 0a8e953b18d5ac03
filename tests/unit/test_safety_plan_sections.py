"""The safety plan's pure rules: which texts ask for it, and the plan as SMS texts (the
crisis line first, the sections in order, no item split between two texts)."""

from __future__ import annotations

import pytest

from services.notifications.safety_plans.sections import (
    MAX_SEGMENTS_PER_TEXT,
    asks_for_plan,
    normalised,
    plan_texts,
)
from services.notifications.wording.segments import sms_segments

CRISIS = "If you are in danger call 000 now, or Lifeline on 13 11 14 (24/7)."


@pytest.mark.parametrize(
    "body",
    ["PLAN", "plan", " Plan. ", "SAFETY PLAN", "safety plan!", "Safety\n  Plan", "safetyplan"],
)
def test_plan_and_safety_plan_ask_for_the_plan_whatever_the_case_and_spaces(body):
    assert asks_for_plan(body)


@pytest.mark.parametrize(
    "body", ["my plan", "PLANS", "plan for today is a walk", "SAFETY", "", "P L A N X"]
)
def test_other_texts_do_not_ask_for_the_plan(body):
    assert not asks_for_plan(body)


def test_a_short_plan_is_one_text_the_crisis_line_first_and_empty_sections_left_out():
    sections = normalised(
        {
            "warning_signs": [" Not sleeping "],
            "help_contacts": [{"name": "Sam", "phone": "0412 000 111"}],
            "professionals": [{"name": "Dr Lee"}],
        }
    )
    [text] = plan_texts(sections, CRISIS)
    assert text.startswith(f"Your safety plan. Help now: {CRISIS}")
    assert text.split("\n")[1:] == [
        "1. Warning signs:",
        "- Not sleeping",
        "4. People I can ask for help:",
        "- Sam 0412 000 111",
        "5. Professionals and services:",
        "- the crisis line above",
        "- Dr Lee",
    ]


def test_a_long_plan_is_numbered_texts_none_too_long_no_item_split():
    items = [f"step {i} " + "é" * 150 for i in range(10)]  # UCS-2: 67 units a segment
    sections = normalised({"coping_strategies": items, "distractions": items})
    texts = plan_texts(sections, CRISIS)
    assert len(texts) > 2
    assert texts[0].startswith(f"1/{len(texts)} Your safety plan. Help now: {CRISIS}")
    assert all(sms_segments(text).segments <= MAX_SEGMENTS_PER_TEXT for text in texts)
    lines = [line for text in texts for line in text.split(" ", 1)[1].split("\n")]
    assert lines.count("- " + items[0]) == 2 and lines.count("- " + items[9]) == 2
    assert lines.index("2. Things I can do on my own:") < lines.index(
        "3. People and places that take my mind off things:"
    )
