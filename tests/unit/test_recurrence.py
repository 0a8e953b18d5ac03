"""Recurring action steps keep their local wall-clock time across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from services.plans.recurrence import Recurrence, occurrences_between

MONDAY = 0


def _weekly_nine_am(start: date, end: date) -> Recurrence:
    return Recurrence("weekly", time(9, 0), start, end, weekdays=(MONDAY,))


def _window(rule, timezone):
    return occurrences_between(
        rule, timezone, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )


def test_weekly_nine_am_in_sydney_stays_nine_am_when_daylight_saving_ends_and_starts():
    occurrences = _window(
        _weekly_nine_am(date(2026, 3, 23), date(2026, 10, 12)), "Australia/Sydney"
    )
    by_key = {o.key: o for o in occurrences}
    # DST ends Sunday 5 April 2026 (+11 -> +10) and starts Sunday 4 October (+10 -> +11).
    assert by_key["2026-03-30T09:00"].due_at == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert by_key["2026-04-06T09:00"].due_at == datetime(2026, 4, 5, 23, 0, tzinfo=UTC)
    assert by_key["2026-09-28T09:00"].due_at == datetime(2026, 9, 27, 23, 0, tzinfo=UTC)
    assert by_key["2026-10-05T09:00"].due_at == datetime(2026, 10, 4, 22, 0, tzinfo=UTC)
    zone = ZoneInfo("Australia/Sydney")
    assert {o.due_at.astimezone(zone).time() for o in occurrences} == {time(9, 0)}
    assert {o.due_at.astimezone(zone).weekday() for o in occurrences} == {MONDAY}
    assert len(occurrences) == 30


def test_weekly_nine_am_in_new_york_stays_nine_am_across_march_and_november_changes():
    occurrences = _window(_weekly_nine_am(date(2026, 3, 2), date(2026, 11, 9)), "America/New_York")
    by_key = {o.key: o for o in occurrences}
    # DST starts Sunday 8 March 2026 (-5 -> -4) and ends Sunday 1 November (-4 -> -5).
    assert by_key["2026-03-02T09:00"].due_at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert by_key["2026-03-09T09:00"].due_at == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert by_key["2026-10-26T09:00"].due_at == datetime(2026, 10, 26, 13, 0, tzinfo=UTC)
    assert by_key["2026-11-02T09:00"].due_at == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    zone = ZoneInfo("America/New_York")
    assert {o.due_at.astimezone(zone).time() for o in occurrences} == {time(9, 0)}


def test_daily_occurrences_respect_start_end_and_window():
    rule = Recurrence("daily", time(7, 30), date(2026, 5, 1), date(2026, 5, 3))
    keys = [o.key for o in _window(rule, "Europe/London")]
    assert keys == ["2026-05-01T07:30", "2026-05-02T07:30", "2026-05-03T07:30"]
    narrow = occurrences_between(
        rule,
        "Europe/London",
        datetime(2026, 5, 2, 0, 0, tzinfo=UTC),
        datetime(2026, 5, 2, 23, 0, tzinfo=UTC),
    )
    assert [o.key for o in narrow] == ["2026-05-02T07:30"]


def test_a_time_skipped_by_the_clock_change_still_happens_once():
    rule = Recurrence("daily", time(2, 30), date(2026, 3, 7), date(2026, 3, 9))
    occurrences = _window(rule, "America/New_York")
    assert len(occurrences) == 3
    assert len({o.due_at for o in occurrences}) == 3
