"""K10 and WEMWBS are scored by the service, against worked examples."""

from __future__ import annotations

import pytest

from services.intake.measures import k10_band, score_k10, score_wemwbs


def test_k10_worked_example_scores_twenty_in_the_moderate_band():
    # "None of the time" = 1 ... "All of the time" = 5, ten items in questionnaire order.
    answers = [2, 3, 1, 2, 2, 1, 3, 2, 2, 2]
    score = score_k10(answers)
    assert (score.total, score.band) == (20, "moderate")


def test_k10_lowest_and_highest_possible_scores():
    assert score_k10([1] * 10).total == 10
    assert score_k10([1] * 10).band == "low"
    assert score_k10([5] * 10).total == 50
    assert score_k10([5] * 10).band == "very_high"


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (10, "low"),
        (15, "low"),
        (16, "moderate"),
        (21, "moderate"),
        (22, "high"),
        (29, "high"),
        (30, "very_high"),
        (50, "very_high"),
    ],
)
def test_k10_band_edges(total, band):
    assert k10_band(total) == band


def test_k10_with_mixed_answers_reaches_the_very_high_band():
    score = score_k10([3, 4, 3, 3, 3, 3, 3, 3, 3, 2])
    assert (score.total, score.band) == (30, "very_high")


def test_wemwbs_worked_example_scores_forty_six():
    # "None of the time" = 1 ... "All of the time" = 5, fourteen items.
    assert score_wemwbs([3, 4, 3, 3, 4, 3, 3, 4, 3, 3, 3, 4, 3, 3]) == 46


def test_wemwbs_lowest_and_highest_possible_scores():
    assert score_wemwbs([1] * 14) == 14
    assert score_wemwbs([5] * 14) == 70


@pytest.mark.parametrize(
    ("scorer", "items"),
    [
        (score_k10, [3] * 9),
        (score_k10, [3] * 9 + [6]),
        (score_k10, [0] + [3] * 9),
        (score_wemwbs, [3] * 13),
        (score_wemwbs, [3] * 13 + [6]),
    ],
)
def test_wrong_item_count_or_out_of_range_item_is_refused(scorer, items):
    with pytest.raises(ValueError):
        scorer(items)
