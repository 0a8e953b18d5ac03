"""Local time (shared/localtime.py): the one daylight-saving rule plans and notifications
share, the weekdays, and the local helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.notifications.digest.recurring import LocalSchedule, next_local_moment
from services.plans.recurrence import Recurrence, occurrences_between
from shared.localtime import (
    WEEKDAYS,
    local_day_bounds,
    local_iso,
    parse_hhmm,
    to_utc,
    wall_clock,
    zone,
)

SYDNEY = (
    "Australia/Sydney"  # springs forward 2026-10-04 02:00 -> 03:00, back 2026-04-05 03:00 -> 02:00
)
NEW_YORK = "America/New_York"  # springs forward 2026-03-08 02:00 -> 03:00, back 2026-11-01


def test_a_time_in_the_spring_forward_gap_moves_forward_by_the_gap():
    moved = wall_clock(date(2026, 10, 4), time(2, 30), ZoneInfo(SYDNEY))
    assert moved.replace(tzinfo=None) == datetime(2026, 10, 4, 3, 30)
    assert moved.utcoffset() == timedelta(hours=11)
    assert to_utc(date(2026, 10, 4), time(2, 30), SYDNEY) == datetime(
        2026, 10, 3, 16, 30, tzinfo=UTC
    )
    # New York's gap: 02:15 is 03:15 EDT.
    assert to_utc(date(2026, 3, 8), time(2, 15), NEW_YORK) == datetime(
        2026, 3, 8, 7, 15, tzinfo=UTC
    )


def test_a_time_the_autumn_change_repeats_is_taken_at_its_first_showing():
    # 02:30 on 5 April 2026 in Sydney happens at +11 (AEDT), then again at +10 (AEST).
    first = wall_clock(date(2026, 4, 5), time(2, 30), ZoneInfo(SYDNEY))
    assert first.utcoffset() == timedelta(hours=11)
    assert to_utc(date(2026, 4, 5), time(2, 30), SYDNEY) == datetime(2026, 4, 4, 15, 30, tzinfo=UTC)
    assert to_utc(date(2026, 11, 1), time(1, 30), NEW_YORK) == datetime(
        2026,
        11,
        1,
        5,
        30,
        tzinfo=UTC,  # 01:30 EDT, not EST
    )


def test_an_ordinary_time_is_that_time():
    assert wall_clock(date(2026, 7, 1), time(9, 0), ZoneInfo(SYDNEY)) == datetime(
        2026, 7, 1, 9, 0, tzinfo=ZoneInfo(SYDNEY)
    )
    assert to_utc(date(2026, 7, 1), time(9, 0), SYDNEY) == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "at"),
    [
        (date(2026, 10, 4), time(2, 30)),  # Sydney's gap
        (date(2026, 4, 5), time(2, 30)),  # Sydney's repeated hour
        (date(2026, 4, 5), time(3, 0)),
        (date(2026, 10, 4), time(3, 0)),
        (date(2026, 7, 1), time(17, 0)),
    ],
)
def test_plans_and_notifications_put_a_local_time_at_the_same_instant(day, at):
    """A step due at ``at`` (plans) and a recurring nudge at ``at`` (notifications) on the
    same local day are the same instant, across both changes of the clocks."""
    [occurrence] = occurrences_between(
        Recurrence("daily", at, day, day),
        SYDNEY,
        datetime.combine(day, time(0), tzinfo=UTC) - timedelta(days=1),
        datetime.combine(day, time(0), tzinfo=UTC) + timedelta(days=2),
    )
    schedule = LocalSchedule((WEEKDAYS[day.weekday()],), at.strftime("%H:%M"))
    day_before = datetime.combine(day, time(0), tzinfo=ZoneInfo(SYDNEY)) - timedelta(hours=1)
    assert next_local_moment(day_before.astimezone(UTC), SYDNEY, schedule) == occurrence.due_at


def test_weekdays_are_numbered_from_monday_as_dates_number_them():
    assert WEEKDAYS == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    wednesday = date(2026, 7, 1)
    assert WEEKDAYS[wednesday.weekday()] == "wed"
    assert [WEEKDAYS[(wednesday + timedelta(days=i)).weekday()] for i in range(5)] == [
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]


def test_a_local_day_spans_23_or_25_hours_on_the_days_the_clocks_change():
    start, end = local_day_bounds(datetime(2026, 10, 4, 12, 0, tzinfo=UTC), SYDNEY)
    assert end - start == timedelta(hours=23)
    start, end = local_day_bounds(datetime(2026, 4, 5, 12, 0, tzinfo=UTC), SYDNEY)
    assert end - start == timedelta(hours=25)
    assert start == datetime(2026, 4, 4, 13, 0, tzinfo=UTC)  # midnight, AEDT


def test_the_local_helpers():
    assert parse_hhmm("08:30") == time(8, 30)
    for bad in ("8:30", "24:00", "08:30\n", "08:60"):
        with pytest.raises(ValueError):
            parse_hhmm(bad)
    assert zone("Nowhere/Atlantis") == ZoneInfo("UTC")
    assert zone(SYDNEY) == ZoneInfo(SYDNEY)
    with pytest.raises(Exception):  # noqa: B017 - plans refuses a zone it does not know
        to_utc(date(2026, 7, 1), time(9, 0), "Nowhere/Atlantis")
    assert local_iso(datetime(2026, 4, 5, 23, 0, tzinfo=UTC), SYDNEY) == (
        "2026-04-06T09:00:00+10:00"
    )
