"""Plans and goals move only along their legal transitions; anything else is a 409."""

from __future__ import annotations

import itertools

import pytest

from services.plans.lifecycle import (
    GOAL_STATUSES,
    PLAN_TRANSITIONS,
    check_goal_transition,
)
from services.plans.models import Goal
from shared.errors import Conflict

LEGAL_GOAL_MOVES = {
    ("proposed", "active"),
    ("proposed", "cancelled"),
    ("active", "on_hold"),
    ("active", "achieved"),
    ("active", "cancelled"),
    ("on_hold", "active"),
    ("on_hold", "cancelled"),
}


def test_goal_status_moves_only_along_legal_transitions():
    for current, wanted in itertools.product(GOAL_STATUSES, repeat=2):
        goal = Goal(status=current)
        if current == wanted or (current, wanted) in LEGAL_GOAL_MOVES:
            check_goal_transition(goal, wanted)
        else:
            with pytest.raises(Conflict) as refused:
                check_goal_transition(goal, wanted)
            assert "status" in refused.value.errors


def test_plan_lifecycle_is_draft_active_review_completed():
    assert {
        "draft": {"active"},
        "active": {"under_review"},
        "under_review": {"active", "completed"},
    } == PLAN_TRANSITIONS
