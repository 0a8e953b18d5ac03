"""Nudges that recur at a client's local weekdays and time: the weekly digest, mood prompts.

Pure rules, no database. A recurring nudge goes on chosen local weekdays at a local
"HH:MM", kept at that wall-clock time across daylight-saving changes; a time the
spring-forward gap skips moves forward by the gap (02:30 becomes 03:30), and a time the
autumn change repeats is taken at its first showing (:mod:`shared.localtime`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from shared.localtime import WEEKDAYS, parse_hhmm, wall_clock, zone


@dataclass(frozen=True)
class LocalSchedule:
    """Local weekdays ("mon".."sun") and a local "HH:MM"."""

    weekdays: tuple[str, ...]
    local_time: str

    @property
    def at(self) -> time:
        return parse_hhmm(self.local_time)

    @property
    def weekday_numbers(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(day) for day in self.weekdays)


def next_local_moment(after: datetime, timezone: str, schedule: LocalSchedule) -> datetime:
    """The first moment (UTC) strictly after ``after`` on a chosen weekday at the local time."""
    tz = zone(timezone)
    today = after.astimezone(tz).date()
    days = schedule.weekday_numbers
    for offset in range(15):  # two weeks always hold one strictly later moment
        day = today + timedelta(days=offset)
        if day.weekday() not in days:
            continue
        moment = wall_clock(day, schedule.at, tz).astimezone(UTC)
        if moment > after:
            return moment
    raise AssertionError("unreachable: a weekday recurs within two weeks")


def day_key(moment: datetime, timezone: str) -> str:
    """An occurrence key per local day: "day:2026-04-05" in the client's own timezone."""
    return f"day:{moment.astimezone(zone(timezone)).date().isoformat()}"
