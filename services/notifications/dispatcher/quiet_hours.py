"""Quiet hours in the client's own timezone, correct across daylight-saving changes
(the local-time rules are :mod:`shared.localtime`'s)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from shared.localtime import parse_hhmm, wall_clock, zone


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
