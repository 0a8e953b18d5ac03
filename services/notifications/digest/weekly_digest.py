"""The weekly digest: when it goes, which local week it speaks of, and what it says.

Pure rules, no database. A digest goes on the client's chosen weekday at a local time
(default Sunday 17:00), kept at that wall-clock time across daylight-saving changes. It
speaks of the seven local days up to that moment ("this week") and of the seven after it
("next week"); each local ISO week has at most one digest (its occurrence key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from services.notifications.digest.recurring import LocalSchedule, next_local_moment
from services.notifications.wording.locales import DEFAULT_LOCALE, moment_label
from shared.localtime import WEEKDAYS, parse_hhmm, wall_clock, zone

DEFAULT_WEEKDAY, DEFAULT_LOCAL_TIME = "sun", "17:00"
# How much a digest may say, whatever the plan holds.
MAX_NEXT_STEPS = 3
MAX_GOALS_NAMED = 5


@dataclass(frozen=True)
class DigestTime:
    """The client's chosen weekday ("mon".."sun") and local "HH:MM"."""

    weekday: str
    local_time: str

    @property
    def at(self) -> time:
        return parse_hhmm(self.local_time)

    @property
    def weekday_number(self) -> int:
        return WEEKDAYS.index(self.weekday)

    @property
    def schedule(self) -> LocalSchedule:
        return LocalSchedule((self.weekday,), self.local_time)


def next_digest_at(after: datetime, timezone: str, when: DigestTime) -> datetime:
    """The first digest moment (UTC) strictly after ``after``, at the chosen local time."""
    return next_local_moment(after, timezone, when.schedule)


def week_key(moment: datetime, timezone: str) -> str:
    """The occurrence key of a digest at ``moment``: the client's local ISO week."""
    year, week, _ = moment.astimezone(zone(timezone)).date().isocalendar()
    return f"week:{year}-W{week:02d}"


def shifted_by_weeks(moment: datetime, timezone: str, weeks: int) -> datetime:
    """The same local wall-clock time ``weeks`` weeks away (168 hours, give or take DST)."""
    tz = zone(timezone)
    local = moment.astimezone(tz)
    day: date = local.date() + timedelta(weeks=weeks)
    return wall_clock(day, local.time().replace(tzinfo=None), tz).astimezone(UTC)


@dataclass(frozen=True)
class Week:
    """The windows one digest speaks of, in UTC."""

    starts_at: datetime  # this week: [starts_at, ends_at)
    ends_at: datetime  # the digest's own moment
    next_ends_at: datetime  # next week: [the moment it is sent, next_ends_at)

    @classmethod
    def ending_at(cls, moment: datetime, timezone: str) -> Week:
        return cls(
            shifted_by_weeks(moment, timezone, -1), moment, shifted_by_weeks(moment, timezone, 1)
        )


@dataclass(frozen=True)
class UpcomingStep:
    title: str
    due_at: datetime


@dataclass
class WeekInFacts:
    """What the plan projection knows of one client's week."""

    steps_planned: int = 0
    steps_done: int = 0
    goals_achieved: list[str] = field(default_factory=list)
    next_steps: list[UpcomingStep] = field(default_factory=list)
    next_checkin_at: datetime | None = None

    @property
    def nothing_to_say(self) -> bool:
        return not (
            self.steps_planned or self.goals_achieved or self.next_steps or self.next_checkin_at
        )


def local_label(moment: datetime, timezone: str, locale: str = DEFAULT_LOCALE) -> str:
    """How a message names a moment: "Tue 14 Apr, 10:00" in the client's own time and
    language ("mar 14 abr, 10:00")."""
    return moment_label(moment, timezone, locale)


def digest_variables(
    facts: WeekInFacts, timezone: str, locale: str = DEFAULT_LOCALE
) -> dict | None:
    """The digest's template variables, or None when the week holds nothing to say."""
    if facts.nothing_to_say:
        return None
    return {
        "steps_done": facts.steps_done,
        "steps_planned": facts.steps_planned,
        "goals_achieved": facts.goals_achieved[:MAX_GOALS_NAMED],
        "goals_achieved_count": len(facts.goals_achieved),
        "next_steps": [
            {"title": step.title, "when": local_label(step.due_at, timezone, locale)}
            for step in facts.next_steps[:MAX_NEXT_STEPS]
        ],
        "next_checkin": (
            local_label(facts.next_checkin_at, timezone, locale) if facts.next_checkin_at else ""
        ),
    }
