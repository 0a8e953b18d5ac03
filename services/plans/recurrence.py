"""When an action step falls due: pure functions over the client's local calendar.

A recurring step happens at a wall-clock time in the client's timezone (09:00 stays
09:00 across daylight-saving changes), so occurrences are computed in local time and
only then converted to UTC. An occurrence's key is its original local date-time, stable
whatever later happens to it. Local time and its daylight-saving rule are
:mod:`shared.localtime`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.localtime import to_utc


@dataclass(frozen=True)
class Recurrence:
    frequency: str  # "daily" or "weekly"
    local_time: time
    start_date: date
    end_date: date | None = None
    weekdays: tuple[int, ...] = ()  # 0 = Monday, for weekly steps

    def falls_on(self, day: date) -> bool:
        if day < self.start_date or (self.end_date and day > self.end_date):
            return False
        return self.frequency == "daily" or day.weekday() in self.weekdays


@dataclass(frozen=True)
class Occurrence:
    key: str
    due_at: datetime  # UTC

    def local(self, timezone: str) -> datetime:
        return self.due_at.astimezone(ZoneInfo(timezone))


def occurrence_key(local: datetime) -> str:
    """The stable key of an occurrence: its original local date-time, minutes precision."""
    return local.replace(tzinfo=None).isoformat(timespec="minutes")


def occurrences_between(
    rule: Recurrence, timezone: str, start: datetime, end: datetime
) -> list[Occurrence]:
    """Occurrences due in ``[start, end)`` (aware datetimes), in order."""
    zone = ZoneInfo(timezone)
    first = max(rule.start_date, start.astimezone(zone).date() - timedelta(days=1))
    last = end.astimezone(zone).date() + timedelta(days=1)
    if rule.end_date:
        last = min(last, rule.end_date)
    found = []
    day = first
    while day <= last:
        if rule.falls_on(day):
            due_at = to_utc(day, rule.local_time, timezone)
            if start <= due_at < end:
                key = occurrence_key(datetime.combine(day, rule.local_time))
                found.append(Occurrence(key, due_at))
        day += timedelta(days=1)
    return found
