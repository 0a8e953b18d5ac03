"""Recurring action steps keep their local wall-clock time across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.plans.recurrence import Recurrence, occurrences_between
from shared.localtime import local_iso

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


def test_daily_steps_keep_their_local_time_across_the_london_spring_change():
    rule = Recurrence("daily", time(9, 0), date(2026, 3, 28), date(2026, 3, 30))
    due = [o.due_at for o in _window(rule, "Europe/London")]
    assert due == [
        datetime(2026, 3, 28, 9, 0, tzinfo=UTC),  # GMT
        datetime(2026, 3, 29, 8, 0, tzinfo=UTC),  # BST from 01:00 UTC that morning
        datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
    ]


def test_a_skipped_time_goes_an_hour_later_and_keeps_its_original_key():
    rule = Recurrence("daily", time(2, 30), date(2026, 3, 8), date(2026, 3, 8))
    [occurrence] = _window(rule, "America/New_York")
    assert occurrence.key == "2026-03-08T02:30"
    assert occurrence.due_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT


def test_a_time_the_clocks_repeat_happens_once_at_its_first_showing():
    rule = Recurrence("daily", time(1, 30), date(2026, 11, 1), date(2026, 11, 1))
    [occurrence] = _window(rule, "America/New_York")
    assert occurrence.key == "2026-11-01T01:30"
    assert occurrence.due_at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT


def test_a_weekly_step_falls_only_on_its_weekdays_between_its_start_and_end():
    mon_thu = Recurrence("weekly", time(9, 0), date(2026, 6, 1), date(2026, 6, 30), (0, 3))
    assert mon_thu.falls_on(date(2026, 6, 1))  # Monday, the start date
    assert mon_thu.falls_on(date(2026, 6, 4))  # Thursday
    assert not mon_thu.falls_on(date(2026, 6, 2))  # Tuesday
    assert not mon_thu.falls_on(date(2026, 5, 28))  # a Thursday before the start
    assert not mon_thu.falls_on(date(2026, 7, 2))  # a Thursday after the end
    open_ended = Recurrence("daily", time(9, 0), date(2026, 6, 1))
    assert open_ended.falls_on(date(2030, 1, 1))


def test_the_window_includes_its_start_and_excludes_its_end():
    rule = Recurrence("daily", time(9, 0), date(2026, 6, 1))
    nine = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)  # 09:00 BST
    keys = [
        o.key for o in occurrences_between(rule, "Europe/London", nine, nine + timedelta(days=1))
    ]
    assert keys == ["2026-06-02T09:00"]


def test_a_due_moment_reads_in_the_clients_own_time():
    assert local_iso(datetime(2026, 4, 5, 23, 0, tzinfo=UTC), "Australia/Sydney") == (
        "2026-04-06T09:00:00+10:00"
    )
    assert local_iso(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "America/New_York") == (
        "2026-11-01T01:30:00-04:00"
    )
