"""A plan's progress: goals by status, weekly action completion, wellbeing, domains."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.plans.actions import overdue
from services.plans.lifecycle import GOAL_STATUSES
from services.plans.models import ActionOccurrence, ActionStep, CheckIn, JournalEntry, RecoveryPlan
from shared.errors import Unprocessable


@dataclass(frozen=True)
class Period:
    """Days of the client's calendar, first and last included, and the UTC instants
    they span."""

    first: date
    last: date
    starts_at: datetime
    ends_at: datetime  # exclusive

    @classmethod
    def of(
        cls, session: Session, plan: RecoveryPlan, now: datetime, first=None, last=None
    ) -> Period:
        """Default: the plan's life so far, from the day it was drafted (or the first
        check-in or step, if the coach entered earlier ones) to today."""
        zone = ZoneInfo(plan.timezone)
        first = first or _began(session, plan).astimezone(zone).date()
        last = last or max(now.astimezone(zone).date(), first)
        if last < first:
            raise Unprocessable(
                "The period ends before the plan began.",
                errors={"to": [f"Must not be before {first.isoformat()}, when the plan began."]},
            )
        return cls(
            first,
            last,
            datetime.combine(first, time(), tzinfo=zone),
            datetime.combine(last + timedelta(days=1), time(), tzinfo=zone),
        )


def _began(session: Session, plan: RecoveryPlan) -> datetime:
    first_checkin = select(func.min(CheckIn.starts_at)).where(CheckIn.plan_id == plan.id)
    first_step = (
        select(func.min(ActionOccurrence.due_at))
        .join(ActionStep, ActionStep.id == ActionOccurrence.action_id)
        .where(ActionStep.plan_id == plan.id)
    )
    earliest = session.execute(
        select(first_checkin.scalar_subquery(), first_step.scalar_subquery())
    ).one()
    return min(moment for moment in (plan.created_at, *earliest) if moment is not None)


def progress_of(
    session: Session, plan: RecoveryPlan, now: datetime, period: Period | None = None
) -> dict:
    """The plan's progress over ``period`` (default: its life so far)."""
    period = period or Period.of(session, plan, now)
    steps = session.scalars(select(ActionStep).where(ActionStep.plan_id == plan.id)).all()
    checkins = session.scalars(
        select(CheckIn)
        .where(
            CheckIn.plan_id == plan.id,
            CheckIn.wellbeing.is_not(None),
            CheckIn.starts_at >= period.starts_at,
            CheckIn.starts_at < period.ends_at,
        )
        .order_by(CheckIn.starts_at)
    ).all()
    ratings = session.scalars(
        select(JournalEntry)
        .where(
            JournalEntry.plan_id == plan.id,
            JournalEntry.rating.is_not(None),
            JournalEntry.received_at >= period.starts_at,
            JournalEntry.received_at < period.ends_at,
        )
        .order_by(JournalEntry.received_at)
    ).all()
    by_status = dict.fromkeys(GOAL_STATUSES, 0)
    for goal in plan.goals:
        by_status[goal.status] += 1
    latest = plan.latest_ratings or plan.baseline_ratings
    domains = sorted(set(plan.baseline_ratings) | set(latest))
    return {
        "plan_id": plan.id,
        "status": plan.status,
        "period": {"from": period.first, "to": period.last},
        "risk_flagged": plan.risk_flagged,
        "goals_by_status": by_status,
        "goals_achieved": by_status["achieved"],
        "goals": [
            {"id": g.id, "title": g.title, "status": g.status, "progress": g.progress}
            for g in plan.goals
        ],
        "weekly_completion": weekly_completion(steps, plan.timezone, now, period),
        "overdue_occurrences": sum(len(overdue(step, now)) for step in steps),
        "wellbeing": _wellbeing(checkins, ratings),
        "domain_ratings": [
            {
                "domain": domain,
                "baseline": plan.baseline_ratings.get(domain),
                "latest": latest.get(domain),
            }
            for domain in domains
        ],
    }


def _wellbeing(checkins, ratings) -> list[dict]:
    """Check-in wellbeing (source ``checkin``) and the client's own ratings by reply
    (source ``client``), in time order."""
    points = [
        {"checkin_id": c.id, "reply_id": None, "at": c.starts_at, "wellbeing": c.wellbeing,
         "source": "checkin"}
        for c in checkins
    ] + [
        {"checkin_id": None, "reply_id": r.id, "at": r.received_at, "wellbeing": r.rating,
         "source": "client"}
        for r in ratings
    ]  # fmt: skip
    return sorted(points, key=lambda point: point["at"])


def weekly_completion(steps, timezone: str, now: datetime, period: Period) -> list[dict]:
    """Per ISO week (client's calendar): occurrences due or done in the period, and how
    many were done. An occurrence counts in the week it was due, or in the week it was
    done if that came first: a step done early shows at once, in the week of the effort."""
    zone = ZoneInfo(timezone)
    weeks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for step in steps:
        for occurrence in step.occurrences:
            if occurrence.status == "cancelled":
                continue
            done = occurrence.status == "completed"
            counted_at = _counted_at(occurrence) if done else occurrence.due_at
            if not done and counted_at > now:
                continue
            if not period.starts_at <= counted_at < period.ends_at:
                continue
            year, week, _ = counted_at.astimezone(zone).isocalendar()
            tally = weeks[f"{year}-W{week:02d}"]
            tally[0] += 1
            tally[1] += int(done)
    return [
        {"week": week, "due": due, "completed": completed, "rate": round(completed / due, 3)}
        for week, (due, completed) in sorted(weeks.items())
    ]


def _counted_at(occurrence: ActionOccurrence) -> datetime:
    """When a completed occurrence counts: when it was due, or when it was done if earlier."""
    if occurrence.completed_at is None:
        return occurrence.due_at
    return min(occurrence.due_at, occurrence.completed_at)
