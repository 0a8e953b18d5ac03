"""The report's plan for the next period: the open goals with their target dates, and what
is scheduled in the ``NEXT_PERIOD_WEEKS`` weeks from the day the report is prepared (the
check-ins, and each open step's occurrences: those already scheduled, moved ones where
they were moved to, and the rest as the step's recurrence will bring them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.plans.actions import rule_of
from services.plans.lifecycle import OPEN_GOAL_STATUSES
from services.plans.limits import GOALS_PER_PLAN, NEXT_PERIOD_WEEKS
from services.plans.models import ActionStep, CheckIn, RecoveryPlan
from services.plans.recurrence import occurrences_between


def next_period_of(session: Session, plan: RecoveryPlan, now: datetime) -> dict:
    """The next period's plan, as of ``now``."""
    ends_at = now + timedelta(weeks=NEXT_PERIOD_WEEKS)
    goals = [g for g in plan.goals[:GOALS_PER_PLAN] if g.status in OPEN_GOAL_STATUSES]
    titles = {g.id: g.title for g in goals}
    checkins = session.scalars(
        select(CheckIn)
        .where(
            CheckIn.plan_id == plan.id,
            CheckIn.status == "scheduled",
            CheckIn.starts_at >= now,
            CheckIn.starts_at < ends_at,
        )
        .order_by(CheckIn.starts_at)
    ).all()
    steps = session.scalars(
        select(ActionStep)
        .where(ActionStep.plan_id == plan.id, ActionStep.status == "open")
        .order_by(ActionStep.created_at, ActionStep.id)
    ).all()
    planned = []
    for step in steps:
        if step.goal_id not in titles:
            continue
        due = due_between(step, plan.timezone, now, ends_at)
        if due:
            planned.append(
                {
                    "title": step.title,
                    "goal": titles[step.goal_id],
                    "times": len(due),
                    "first": due[0],
                }
            )
    return {
        "weeks": NEXT_PERIOD_WEEKS,
        "goals": [
            {"title": g.title, "status": g.status, "target_date": g.target_date} for g in goals
        ],
        "checkins": [
            {"at": c.starts_at, "mode": c.mode, "duration_minutes": c.duration_minutes}
            for c in checkins
        ],
        "steps": planned,
    }


def due_between(step: ActionStep, timezone: str, start: datetime, end: datetime) -> list[datetime]:
    """When the step falls due in ``[start, end)``, in order."""
    known = {o.occurrence_key: o for o in step.occurrences}
    due = [o.due_at for o in known.values() if o.status == "scheduled" and start <= o.due_at < end]
    rule = rule_of(step)
    if rule is None:
        if not known and step.due_at is not None and start <= step.due_at < end:
            due.append(step.due_at)
    else:
        due += [
            o.due_at for o in occurrences_between(rule, timezone, start, end) if o.key not in known
        ]
    return sorted(due)
