"""A step's schedule can only be changed in the terms of its kind: a one-off step has a
due time, a recurring one a local time, dates and (weekly) weekdays."""

from __future__ import annotations

import pytest

from services.plans.actions import check_schedule_kind
from shared.errors import Unprocessable


@pytest.mark.parametrize(
    ("frequency", "changes"),
    [
        ("once", {"due_at": "2026-09-01T09:00:00Z", "title": "Walk"}),
        ("daily", {"local_time": "08:00", "start_date": "2026-09-01", "end_date": None}),
        ("weekly", {"weekdays": ["mon"], "local_time": "08:00"}),
        ("weekly", {"title": "Walk"}),
    ],
)
def test_changes_in_the_terms_of_the_steps_kind_pass(frequency, changes):
    check_schedule_kind(frequency, changes)


@pytest.mark.parametrize(
    ("frequency", "changes", "refused"),
    [
        ("once", {"local_time": "08:00", "weekdays": ["mon"]}, {"local_time", "weekdays"}),
        ("once", {"start_date": "2026-09-01", "end_date": None}, {"start_date", "end_date"}),
        ("once", {"due_at": None}, {"due_at"}),
        ("daily", {"due_at": "2026-09-01T09:00:00Z"}, {"due_at"}),
        ("daily", {"weekdays": ["mon"]}, {"weekdays"}),
        ("weekly", {"due_at": "2026-09-01T09:00:00Z"}, {"due_at"}),
    ],
)
def test_a_field_the_kind_does_not_have_is_refused_by_name(frequency, changes, refused):
    with pytest.raises(Unprocessable) as caught:
        check_schedule_kind(frequency, changes)
    assert set(caught.value.errors) == refused
    assert caught.value.detail == f"Not a field of a {frequency} step."
