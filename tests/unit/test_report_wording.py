"""The review report's sentences (shared by its HTML and its PDF) and its next period's
step dates: plain functions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

from services.plans.reports import wording
from services.plans.reports.next_period import due_between

SYDNEY = "Australia/Sydney"


def test_hours_are_shown_without_trailing_zeros():
    assert wording.hours(1.5) == "1.5 hours"
    assert wording.hours(0.75) == "0.75 hours"
    assert wording.hours(1.0) == "1 hour"
    assert wording.hours(0) == "0 hours"


def test_a_crisis_line_says_how_it_was_handled_in_the_clients_time_and_never_its_words():
    message = {
        "at": datetime(2027, 2, 20, 10, 0, tzinfo=UTC),
        "channel": "sms",
        "answered_at": datetime(2027, 2, 20, 10, 1, tzinfo=UTC),
        "coach_alerted_at": None,
        "acknowledged_at": None,
    }
    assert wording.crisis_line(message, SYDNEY) == (
        "Received 20 February 2027, 21:00 by sms; crisis line details sent to the participant "
        "20 February 2027, 21:01; no record of a coach alert; not acknowledged yet."
    )


def test_a_flag_line_says_when_it_was_acknowledged_if_it_was():
    raised = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    flag = {"reason": "crisis message", "raised_at": raised, "acknowledged_at": None}
    assert wording.flag_line(flag, SYDNEY).endswith("crisis message; not acknowledged yet.")
    later = flag | {"acknowledged_at": datetime(2027, 3, 1, 11, 0, tzinfo=UTC)}
    assert wording.flag_line(later, SYDNEY).endswith("acknowledged 1 March 2027, 22:00.")


def _weekly_step(occurrences=()):
    return SimpleNamespace(
        frequency="weekly",
        local_time="08:00",
        start_date=date(2027, 3, 1),
        end_date=None,
        weekdays=[0],
        due_at=None,
        occurrences=list(occurrences),
    )


def test_the_next_period_counts_a_weekly_steps_mondays_and_a_moved_one_where_it_went():
    start, end = datetime(2027, 3, 1, 9, tzinfo=UTC), datetime(2027, 3, 29, 9, tzinfo=UTC)
    mondays = due_between(_weekly_step(), SYDNEY, start, end)
    assert [d.astimezone(UTC).day for d in mondays] == [7, 14, 21, 28]  # 08:00 in Sydney
    moved = SimpleNamespace(
        occurrence_key="2027-03-08T08:00",
        status="scheduled",
        due_at=datetime(2027, 3, 9, 21, tzinfo=UTC),
    )
    due = due_between(_weekly_step([moved]), SYDNEY, start, end)
    assert [d.astimezone(UTC).day for d in due] == [9, 14, 21, 28]
    done = SimpleNamespace(**(vars(moved) | {"status": "completed"}))
    assert len(due_between(_weekly_step([done]), SYDNEY, start, end)) == 3
