"""Quiet hours in the client's own timezone: windows across midnight, the first allowed
minute, and nights made shorter or longer by a daylight-saving change."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.notifications.dispatcher.quiet_hours import (
    QuietHours,
    next_allowed,
    start_of_next_day,
)
from services.notifications.schemas import QuietHoursSchema, WeeklyDigestSchema
from shared.localtime import local_day_bounds, parse_hhmm

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
NIGHT = QuietHours.of("21:00", "08:00")

# 2026: London moves GMT -> BST at 01:00 UTC on Sunday 29 March and back at 01:00 UTC on
# Sunday 25 October; New York moves EST -> EDT at 02:00 local on Sunday 8 March and back
# at 02:00 local on Sunday 1 November.


def utc(text: str, tz: ZoneInfo) -> datetime:
    """A local wall-clock time in ``tz`` as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=tz).astimezone(UTC)


def at(hhmm: str) -> time:
    return parse_hhmm(hhmm)


# -- the window ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        ("20:59", False),
        ("21:00", True),  # the start is quiet
        ("23:59", True),
        ("00:00", True),  # past midnight, still the same night
        ("03:00", True),
        ("07:59", True),
        ("08:00", False),  # the end is the first allowed minute
        ("12:00", False),
    ],
)
def test_a_window_across_midnight_is_quiet_from_its_start_up_to_its_end(local, quiet):
    assert NIGHT.contains(at(local)) is quiet


@pytest.mark.parametrize(
    ("local", "quiet"), [("12:59", False), ("13:00", True), ("13:59", True), ("14:00", False)]
)
def test_a_window_within_one_day_is_quiet_only_between_its_times(local, quiet):
    assert QuietHours.of("13:00", "14:00").contains(at(local)) is quiet


@pytest.mark.parametrize("local", ["00:00", "08:00", "21:00", "23:59"])
def test_equal_start_and_end_means_no_quiet_hours(local):
    none = QuietHours.of("00:00", "00:00")
    assert none.empty
    assert not none.contains(at(local))


@pytest.mark.parametrize("value", ["24:00", "7:00", "07:60", "0700", "", "07:00 ", "07:00\n"])
def test_a_quiet_hour_must_be_written_hh_mm(value):
    with pytest.raises(ValueError):
        parse_hhmm(value)


@pytest.mark.parametrize(
    ("schema", "body", "field"),
    [
        (QuietHoursSchema, {"start": "21:00", "end": "08:00"}, "start"),
        (QuietHoursSchema, {"start": "21:00", "end": "08:00"}, "end"),
        (WeeklyDigestSchema, {"weekday": "sun", "local_time": "08:00"}, "local_time"),
    ],
)
def test_a_time_with_a_trailing_newline_is_refused_as_not_hh_mm(schema, body, field):
    assert schema().validate(body) == {}
    errors = schema().validate(body | {field: body[field] + "\n"})
    assert "Use HH:MM (24-hour clock)." in errors[field]


# -- the first allowed minute ----------------------------------------------------------------


@pytest.mark.parametrize("local", ["2026-07-01T08:00", "2026-07-01T12:00", "2026-07-01T20:59"])
def test_a_moment_outside_quiet_hours_is_allowed_as_it_is(local):
    moment = utc(local, LONDON)
    assert next_allowed(moment, "Europe/London", [NIGHT]) == moment


@pytest.mark.parametrize(
    "local", ["2026-07-01T21:00", "2026-07-01T23:30", "2026-07-02T00:00", "2026-07-02T07:59"]
)
def test_a_moment_in_the_night_waits_for_eight_the_next_local_morning(local):
    allowed = next_allowed(utc(local, LONDON), "Europe/London", [NIGHT])
    assert allowed == utc("2026-07-02T08:00", LONDON)
    assert allowed == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)  # BST: an hour ahead of UTC


def test_the_same_night_in_winter_ends_at_eight_gmt():
    allowed = next_allowed(utc("2026-01-14T22:30", LONDON), "Europe/London", [NIGHT])
    assert allowed == datetime(2026, 1, 15, 8, 0, tzinfo=UTC)


def test_quiet_hours_are_the_clients_local_hours_not_utc():
    # 12:00 UTC is 08:00 in New York in summer: the first allowed minute there.
    noon_utc = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert next_allowed(noon_utc, "America/New_York", [NIGHT]) == noon_utc
    # 11:59 UTC is 07:59 in New York: still night there, though broad day in London.
    before = noon_utc - timedelta(minutes=1)
    assert next_allowed(before, "America/New_York", [NIGHT]) == noon_utc
    assert next_allowed(before, "Europe/London", [NIGHT]) == before


@pytest.mark.parametrize(
    ("evening", "tz", "morning_utc"),
    [
        # The night the clocks go forward: eight o'clock comes an hour sooner in UTC.
        ("2026-03-28T22:00", LONDON, datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
        ("2026-03-07T23:00", NEW_YORK, datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
        # The night the clocks go back: eight o'clock comes an hour later in UTC.
        ("2026-10-24T22:00", LONDON, datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
        ("2026-10-31T23:00", NEW_YORK, datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
    ],
)
def test_the_night_of_a_clock_change_still_ends_at_eight_local(evening, tz, morning_utc):
    allowed = next_allowed(utc(evening, tz), str(tz), [NIGHT])
    assert allowed == morning_utc
    assert allowed.astimezone(tz).time() == time(8, 0)


def test_the_repeated_hour_when_the_clocks_go_back_is_still_quiet():
    # 01:30 happens twice in New York on 1 November; both are in the night.
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
    for moment in (first, second):
        assert next_allowed(moment, "America/New_York", [NIGHT]) == datetime(
            2026, 11, 1, 13, 0, tzinfo=UTC
        )


def test_a_window_ending_in_the_skipped_hour_ends_when_that_much_time_has_passed():
    # 02:30 does not exist in New York on 8 March: a window 22:00-02:30 ends at 07:30 UTC,
    # 03:30 daylight time, no sooner (never at an instant the client's clock never showed).
    late = QuietHours.of("22:00", "02:30")
    allowed = next_allowed(utc("2026-03-08T01:45", NEW_YORK), "America/New_York", [late])
    assert allowed == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert allowed.astimezone(NEW_YORK).time() == time(3, 30)


def test_every_window_is_respected_and_the_later_end_wins():
    client_own, organisation_floor = QuietHours.of("23:30", "06:00"), NIGHT
    allowed = next_allowed(
        utc("2026-07-01T22:00", LONDON), "Europe/London", [client_own, organisation_floor]
    )
    assert allowed == utc("2026-07-02T08:00", LONDON)
    allowed = next_allowed(
        utc("2026-07-02T07:00", LONDON), "Europe/London", [client_own, organisation_floor]
    )
    assert allowed == utc("2026-07-02T08:00", LONDON)


def test_back_to_back_windows_are_waited_out_one_after_the_other():
    evening, night = QuietHours.of("21:00", "23:00"), QuietHours.of("22:30", "07:00")
    allowed = next_allowed(utc("2026-07-01T21:30", LONDON), "Europe/London", [evening, night])
    assert allowed == utc("2026-07-02T07:00", LONDON)


def test_an_unknown_timezone_is_read_as_utc():
    allowed = next_allowed(datetime(2026, 7, 1, 22, 0, tzinfo=UTC), "Mars/Olympus_Mons", [NIGHT])
    assert allowed == datetime(2026, 7, 2, 8, 0, tzinfo=UTC)


# -- the client's day ------------------------------------------------------------------------


def test_the_next_day_starts_at_its_first_allowed_minute():
    moment = utc("2026-07-01T12:00", LONDON)
    assert start_of_next_day(moment, "Europe/London", [NIGHT]) == utc("2026-07-02T08:00", LONDON)


def test_without_quiet_hours_the_next_day_starts_at_local_midnight():
    moment = utc("2026-07-01T12:00", NEW_YORK)
    assert start_of_next_day(moment, "America/New_York", [QuietHours.of("00:00", "00:00")]) == (
        datetime(2026, 7, 2, 4, 0, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("day_before", "tz", "morning_utc"),
    [
        ("2026-03-28T12:00", LONDON, datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
        ("2026-10-24T12:00", LONDON, datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
        ("2026-03-07T12:00", NEW_YORK, datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
        ("2026-10-31T12:00", NEW_YORK, datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
    ],
)
def test_the_next_day_starts_at_eight_local_on_the_day_of_a_clock_change(
    day_before, tz, morning_utc
):
    assert start_of_next_day(utc(day_before, tz), str(tz), [NIGHT]) == morning_utc


def test_late_in_the_local_evening_the_next_day_is_the_clients_tomorrow_not_utcs():
    # 22:00 in New York is already tomorrow in UTC; the client's next day is still the 2nd.
    moment = utc("2026-07-01T22:00", NEW_YORK)
    assert start_of_next_day(moment, "America/New_York", [NIGHT]) == utc(
        "2026-07-02T08:00", NEW_YORK
    )


@pytest.mark.parametrize(
    ("moment_local", "tz", "hours"),
    [
        ("2026-07-01T12:00", LONDON, 24),
        ("2026-03-29T12:00", LONDON, 23),  # the clocks go forward
        ("2026-10-25T12:00", LONDON, 25),  # the clocks go back
        ("2026-03-08T12:00", NEW_YORK, 23),
        ("2026-11-01T12:00", NEW_YORK, 25),
    ],
)
def test_the_clients_local_day_runs_midnight_to_midnight_however_long(moment_local, tz, hours):
    start, end = local_day_bounds(utc(moment_local, tz), str(tz))
    day = datetime.fromisoformat(moment_local).date()
    assert start == utc(f"{day}T00:00", tz)
    assert end == utc(f"{day + timedelta(days=1)}T00:00", tz)
    assert end - start == timedelta(hours=hours)
