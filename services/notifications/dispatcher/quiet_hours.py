"""Quiet hours in the client's own timezone, correct across daylight-saving changes."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(value: str) -> time:
    match = HHMM.fullmatch(value)  # not match: its $ lets "08:00\n" by
    if not match:
        raise ValueError(f"not a HH:MM time: {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class QuietHours:
    """A daily window of local wall-clock time, e.g. 21:00-08:00; start == end is none."""

    start: time
    end: time

    @classmethod
    def of(cls, start: str, end: str) -> QuietHours:
        return cls(parse_hhmm(start), parse_hhmm(end))

    @property
    def empty(self) -> bool:
        return self.start == self.end

    def contains(self, local: time) -> bool:
        if self.empty:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def end_after(self, local: datetime) -> datetime:
        """The local end of the window ``local`` is in (an aware datetime in its zone)."""
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)
        return wall_clock(day, self.end, local.tzinfo)


def wall_clock(day, at: time, tz) -> datetime:
    """``day`` at ``at`` local time; a time skipped by a DST change moves forward by the
    length of the gap (02:30 on a spring-forward night becomes 03:30)."""
    candidate = datetime.combine(day, at, tzinfo=tz)
    round_trip = candidate.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != candidate.replace(tzinfo=None):
        # In a spring-forward gap: as long after midnight as the wall-clock time would be.
        return round_trip
    return candidate


def next_allowed(moment: datetime, timezone: str, windows: list[QuietHours]) -> datetime:
    """The first minute at or after ``moment`` (UTC) outside every quiet window."""
    tz = zone(timezone)
    local = moment.astimezone(tz)
    for _ in range(len(windows) * 2 + 2):
        inside = [w for w in windows if w.contains(local.time())]
        if not inside:
            return local.astimezone(UTC)
        local = max(w.end_after(local) for w in inside)
    return local.astimezone(UTC)


def start_of_next_day(moment: datetime, timezone: str, windows: list[QuietHours]) -> datetime:
    """The first allowed minute of the client's next local day."""
    tz = zone(timezone)
    tomorrow = moment.astimezone(tz).date() + timedelta(days=1)
    return next_allowed(wall_clock(tomorrow, time(0, 0), tz).astimezone(UTC), timezone, windows)


# The dispatcher asks for every nudge of a batch, at one moment, in a few timezones.
@functools.lru_cache(maxsize=256)
def local_day_bounds(moment: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The UTC start and end of the client's local day containing ``moment``."""
    tz = zone(timezone)
    day = moment.astimezone(tz).date()
    start = wall_clock(day, time(0, 0), tz).astimezone(UTC)
    end = wall_clock(day + timedelta(days=1), time(0, 0), tz).astimezone(UTC)
    return start, end
