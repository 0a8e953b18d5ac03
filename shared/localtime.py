"""A client's local time: their wall clock in their own timezone. Pure functions
(zoneinfo), used by plans (when a step falls due) and notifications (quiet hours, the
digest, mood prompts).

One rule for daylight-saving changes, everywhere: a wall-clock time the spring-forward
gap skips moves forward by the length of the gap (02:30 on that night becomes 03:30), and
a wall-clock time the autumn change repeats is taken at its first showing (the earlier
instant). That is what Python gives a local time with ``fold=0``.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The days of the week as the API and the events name them; index 0 is Monday, as in
# ``date.weekday()``.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(value: str) -> time:
    """``"08:30"`` as a time; ``ValueError`` for anything else."""
    match = HHMM.fullmatch(value)  # not match: its $ lets "08:00\n" by
    if not match:
        raise ValueError(f"not a HH:MM time: {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


def zone(name: str) -> ZoneInfo:
    """The timezone ``name``, or UTC for a name zoneinfo does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def wall_clock(day: date, at: time, tz: tzinfo) -> datetime:
    """``day`` at ``at`` local time in ``tz``, as an aware local datetime, by the one rule:
    in a gap, moved forward by the gap (02:30 on a spring-forward night is returned as
    03:30); in a repeated hour, its first showing."""
    candidate = datetime.combine(day, at, tzinfo=tz)
    round_trip = candidate.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != candidate.replace(tzinfo=None):
        # In a spring-forward gap: as long after midnight as the wall-clock time would be.
        return round_trip
    return candidate


def to_utc(day: date, at: time, timezone: str) -> datetime:
    """``day`` at ``at`` in ``timezone`` (a zoneinfo name; unknown names raise) as a UTC
    instant, by the rule of :func:`wall_clock`."""
    return wall_clock(day, at, ZoneInfo(timezone)).astimezone(UTC)


# The dispatcher asks for every nudge of a batch, at one moment, in a few timezones.
@functools.lru_cache(maxsize=256)
def local_day_bounds(moment: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The UTC start and end of the local day (in ``timezone``) containing ``moment``."""
    tz = zone(timezone)
    day = moment.astimezone(tz).date()
    start = wall_clock(day, time(0, 0), tz).astimezone(UTC)
    end = wall_clock(day + timedelta(days=1), time(0, 0), tz).astimezone(UTC)
    return start, end


def local_iso(moment: datetime, timezone: str) -> str:
    """``2026-04-06T09:00:00+10:00``: an instant as the client reads it."""
    return moment.astimezone(ZoneInfo(timezone)).isoformat()
