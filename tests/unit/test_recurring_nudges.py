"""The weekly digest and mood prompts recur at the client's local weekdays and time, and
stay at that wall-clock time when the clocks change in London and New York."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.notifications.digest.recurring import LocalSchedule, day_key, next_local_moment
from services.notifications.digest.weekly_digest import DigestTime, Week, next_digest_at, week_key

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SUNDAY = 6

# 2026: London moves GMT -> BST at 01:00 UTC on Sunday 29 March and back at 01:00 UTC on
# Sunday 25 October; New York moves EST -> EDT at 02:00 local on Sunday 8 March and back
# at 02:00 local on Sunday 1 November.


def utc(text: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz).astimezone(UTC)


def following(after: datetime, timezone: str, schedule: LocalSchedule, count: int):
    moments = []
    for _ in range(count):
        after = next_local_moment(after, timezone, schedule)
        moments.append(after)
    return moments


# -- the weekly digest -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "first_sunday", "utc_hours"),
    [
        # London: spring forward on the 29th itself, so that Sunday's digest is already BST.
        (LONDON, "2026-03-22", [17, 16, 16]),
        (LONDON, "2026-10-18", [16, 17, 17]),
        (NEW_YORK, "2026-03-01", [22, 21, 21]),
        (NEW_YORK, "2026-10-25", [21, 22, 22]),
    ],
)
def test_the_digest_goes_at_five_on_sunday_local_before_on_and_after_a_clock_change(
    tz, first_sunday, utc_hours
):
    sunday_five = DigestTime("sun", "17:00")
    after = utc(f"{first_sunday}T09:00", tz)
    moments = []
    for _ in utc_hours:
        after = next_digest_at(after, str(tz), sunday_five)
        moments.append(after)
    assert [m.astimezone(tz).time() for m in moments] == [time(17, 0)] * 3
    assert [m.astimezone(tz).weekday() for m in moments] == [SUNDAY] * 3
    assert [m.hour for m in moments] == utc_hours
    assert moments[0].astimezone(tz).date().isoformat() == first_sunday


def test_the_week_of_the_clock_change_is_an_hour_short_or_long():
    sunday_five = DigestTime("sun", "17:00")
    before = next_digest_at(utc("2026-03-20T09:00", LONDON), "Europe/London", sunday_five)
    spring = next_digest_at(before, "Europe/London", sunday_five)
    assert spring - before == timedelta(hours=167)
    before = next_digest_at(utc("2026-10-13T09:00", LONDON), "Europe/London", sunday_five)
    autumn = next_digest_at(before, "Europe/London", sunday_five)
    assert autumn - before == timedelta(hours=169)


def test_the_digest_at_its_own_moment_is_already_this_weeks_so_the_next_is_next_week():
    this_week = utc("2026-07-05T17:00", NEW_YORK)
    assert next_digest_at(this_week, "America/New_York", DigestTime("sun", "17:00")) == utc(
        "2026-07-12T17:00", NEW_YORK
    )
    a_minute_before = this_week - timedelta(minutes=1)
    assert (
        next_digest_at(a_minute_before, "America/New_York", DigestTime("sun", "17:00")) == this_week
    )


def test_a_digest_speaks_of_the_seven_local_days_before_it_across_the_change():
    # Sunday 29 March 17:00 BST; its week began Sunday 22 March 17:00 GMT, 167 hours earlier.
    week = Week.ending_at(utc("2026-03-29T17:00", LONDON), "Europe/London")
    assert week.starts_at == utc("2026-03-22T17:00", LONDON)
    assert week.next_ends_at == utc("2026-04-05T17:00", LONDON)
    assert week.ends_at - week.starts_at == timedelta(hours=167)


def test_a_sunday_evening_digest_in_new_york_belongs_to_that_local_week_not_utcs():
    # 21:00 EDT on Sunday 8 March is 01:00 UTC on Monday, in the next ISO week in UTC.
    sunday_nine = utc("2026-03-08T21:00", NEW_YORK)
    assert sunday_nine.isocalendar().week == 11
    assert week_key(sunday_nine, "America/New_York") == "week:2026-W10"


# -- mood prompts ----------------------------------------------------------------------------


def test_prompts_go_at_six_local_on_the_chosen_days_across_the_new_york_spring_change():
    mon_wed_fri = LocalSchedule(("fri", "mon", "wed"), "18:00")  # in any order
    moments = following(utc("2026-03-02T19:00", NEW_YORK), "America/New_York", mon_wed_fri, 4)
    local = [m.astimezone(NEW_YORK).replace(tzinfo=None).isoformat() for m in moments]
    assert local == [
        "2026-03-04T18:00:00",
        "2026-03-06T18:00:00",
        "2026-03-09T18:00:00",  # the first Monday on daylight time
        "2026-03-11T18:00:00",
    ]
    assert [m.hour for m in moments] == [23, 23, 22, 22]


def test_daily_prompts_stay_at_six_local_through_the_london_autumn_change():
    every_day = LocalSchedule(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "18:00")
    moments = following(utc("2026-10-23T12:00", LONDON), "Europe/London", every_day, 4)
    assert [m.astimezone(LONDON).day for m in moments] == [23, 24, 25, 26]
    assert {m.astimezone(LONDON).time() for m in moments} == {time(18, 0)}
    assert [m.hour for m in moments] == [17, 17, 18, 18]


def test_a_prompt_later_this_local_evening_is_not_skipped_though_utc_is_already_tomorrow():
    # 19:30 on Monday in New York is 00:30 UTC on Tuesday; Monday's 21:00 is still to come.
    monday_nine_pm = LocalSchedule(("mon",), "21:00")
    after = utc("2026-01-12T19:30", NEW_YORK)
    assert after.weekday() == 1
    assert next_local_moment(after, "America/New_York", monday_nine_pm) == utc(
        "2026-01-12T21:00", NEW_YORK
    )


def test_a_prompt_time_skipped_by_the_spring_change_goes_once_an_hour_later():
    sunday_half_two = LocalSchedule(("sun",), "02:30")
    moments = following(utc("2026-03-07T12:00", NEW_YORK), "America/New_York", sunday_half_two, 2)
    assert moments[0] == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT
    assert moments[1] == utc("2026-03-15T02:30", NEW_YORK)


def test_a_prompt_time_the_autumn_change_repeats_goes_once_at_its_first_showing():
    sunday_half_one = LocalSchedule(("sun",), "01:30")
    moments = following(utc("2026-10-31T12:00", NEW_YORK), "America/New_York", sunday_half_one, 2)
    assert moments[0] == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, not EST
    assert moments[1] == utc("2026-11-08T01:30", NEW_YORK)


def test_a_prompt_is_keyed_by_the_clients_local_day():
    # 20:00 in New York in January is 01:00 UTC the next day.
    evening = utc("2026-01-14T20:00", NEW_YORK)
    assert evening.date().isoformat() == "2026-01-15"
    assert day_key(evening, "America/New_York") == "day:2026-01-14"
    assert day_key(utc("2026-01-15T00:30", LONDON), "Europe/London") == "day:2026-01-15"
