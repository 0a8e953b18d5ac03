"""A plan's progress: goals by status, weekly action completion, wellbeing, domains."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.plans.actions import overdue
from services.plans.lifecycle import GOAL_STATUSES
from services.plans.models import ActionStep, CheckIn, JournalEntry, RecoveryPlan


def progress_of(session: Session, plan: RecoveryPlan, now: datetime) -> dict:
    steps = session.scalars(select(ActionStep).where(ActionStep.plan_id == plan.id)).all()
    checkins = session.scalars(
        select(CheckIn)
        .where(CheckIn.plan_id == plan.id, CheckIn.wellbeing.is_not(None))
        .order_by(CheckIn.starts_at)
    ).all()
    ratings = session.scalars(
        select(JournalEntry)
        .where(JournalEntry.plan_id == plan.id, JournalEntry.rating.is_not(None))
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
        "risk_flagged": plan.risk_flagged,
        "goals_by_status": by_status,
        "goals_achieved": by_status["achieved"],
        "weekly_completion": _weekly_completion(steps, plan.timezone, now),
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


def _weekly_completion(steps, timezone: str, now: datetime) -> list[dict]:
    """Per ISO week (client's calendar): occurrences due or done, and how many were done."""
    zone = ZoneInfo(timezone)
    weeks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for step in steps:
        for occurrence in step.occurrences:
            if occurrence.status == "cancelled":
                continue
            done = occurrence.status == "completed"
            if not done and occurrence.due_at > now:
                continue
            year, week, _ = occurrence.due_at.astimezone(zone).isocalendar()
            tally = weeks[f"{year}-W{week:02d}"]
            tally[0] += 1
            tally[1] += int(done)
    return [
        {"week": week, "due": due, "completed": completed, "rate": round(completed / due, 3)}
        for week, (due, completed) in sorted(weeks.items())
    ]
