"""Weekly completion on /progress: an occurrence counts in the week it was due, or in the
week it was done if that came first, and shows as soon as it is done."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from services.plans.progress import Period, weekly_completion

SYDNEY = "Australia/Sydney"
ZONE = ZoneInfo(SYDNEY)


def _local(*args) -> datetime:
    return datetime(*args, tzinfo=ZONE).astimezone(UTC)


def _occurrence(due_at, status="scheduled", completed_at=None):
    return SimpleNamespace(due_at=due_at, status=status, completed_at=completed_at)


def _period(first: date, last: date) -> Period:
    return Period(
        first,
        last,
        datetime.combine(first, time(), tzinfo=ZONE),
        datetime.combine(last + timedelta(days=1), time(), tzinfo=ZONE),
    )


# Tuesday 10 March 2026 (ISO week 11), mid-afternoon in Sydney.
NOW = _local(2026, 3, 10, 15, 0)
PERIOD = _period(date(2026, 3, 2), date(2026, 3, 10))  # the plan's life so far: to today


def test_a_step_done_before_it_is_due_counts_at_once_in_the_week_it_was_done():
    thursday = _occurrence(
        _local(2026, 3, 12, 9, 0), "completed", completed_at=_local(2026, 3, 10, 8, 0)
    )
    step = SimpleNamespace(occurrences=[thursday])
    assert weekly_completion([step], SYDNEY, NOW, PERIOD) == [
        {"week": "2026-W11", "due": 1, "completed": 1, "rate": 1.0}
    ]


def test_a_step_done_early_in_the_week_before_counts_in_that_week():
    next_monday = _occurrence(
        _local(2026, 3, 16, 9, 0), "completed", completed_at=_local(2026, 3, 6, 18, 0)
    )
    step = SimpleNamespace(occurrences=[next_monday])
    assert weekly_completion([step], SYDNEY, NOW, PERIOD) == [
        {"week": "2026-W10", "due": 1, "completed": 1, "rate": 1.0}
    ]


def test_late_and_missed_steps_count_in_the_week_they_were_due_and_future_ones_not_at_all():
    step = SimpleNamespace(
        occurrences=[
            # due Thursday of week 10, done the Monday after: week 10's
            _occurrence(
                _local(2026, 3, 5, 9, 0), "completed", completed_at=_local(2026, 3, 9, 9, 0)
            ),
            _occurrence(_local(2026, 3, 9, 9, 0)),  # Monday of week 11, not done
            _occurrence(_local(2026, 3, 12, 9, 0)),  # not yet due
            _occurrence(_local(2026, 3, 3, 9, 0), "cancelled"),
        ]
    )
    assert weekly_completion([step], SYDNEY, NOW, PERIOD) == [
        {"week": "2026-W10", "due": 1, "completed": 1, "rate": 1.0},
        {"week": "2026-W11", "due": 1, "completed": 0, "rate": 0.0},
    ]
