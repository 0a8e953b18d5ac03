"""A client's status only moves forward: referred -> assessed -> onboarded -> discharged."""

from __future__ import annotations

import pytest

from services.intake.lifecycle import STATUSES, can_move, require_move
from shared.errors import Conflict

LEGAL = {
    ("referred", "assessed"),
    ("referred", "discharged"),
    ("assessed", "onboarded"),
    ("assessed", "discharged"),
    ("onboarded", "discharged"),
}


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_only_forward_moves_are_allowed(current, target):
    assert can_move(current, target) == ((current, target) in LEGAL)


def test_an_illegal_move_is_a_conflict_naming_the_status():
    with pytest.raises(Conflict) as refused:
        require_move("discharged", "onboarded")
    assert "status" in refused.value.errors
