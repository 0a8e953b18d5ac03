"""What notifications knows of a client's plan, for the weekly digest and the client's
own page.

Kept from the events plans already sends (``action.*``, ``goal.*``, ``checkin.*``);
notifications never asks plans. Only what a digest or the page says is kept: each step
occurrence's title, time and status, each goal reached, each goal's title, status and
progress, each check-in's time and status. Erasure (``erasure``) deletes it all; rows
older than a digest can speak of are pruned as each client's next digest is scheduled
(goals stay while the plan has them).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.notifications.digest.models import (
    AchievedGoal,
    ClientGoal,
    PlannedCheckIn,
    PlannedStep,
)
from services.notifications.digest.weekly_digest import UpcomingStep, Week, WeekInFacts
from services.notifications.models import Contact, Nudge
from shared.db import UnitOfWork
from shared.events import Event
from shared.events.data import (
    ActionOccurrenceV1,
    CheckInMissedV1,
    CheckInRecordedV1,
    CheckInV1,
    GoalUpdatedV1,
    GoalV1,
)

TITLE_LIMIT = 500  # what plans allows; an event is not trusted to keep to it
STEP_STATUS = {"action.completed": "completed", "action.cancelled": "cancelled"}
CHECKIN_STATUS = {
    "checkin.recorded": "recorded",
    "checkin.cancelled": "cancelled",
    "checkin.missed": "missed",
}


def _erased(uow: UnitOfWork, event: Event) -> bool:
    contact = uow.session.get(Contact, (event.tenant_id, event.data.client_id))
    return contact is not None and contact.status == "erased"


def on_action_event(event: Event[ActionOccurrenceV1], uow: UnitOfWork) -> None:
    """Scheduled, rescheduled, completed or cancelled: one occurrence, or a whole step."""
    data = event.data
    if _erased(uow, event):
        return  # a late event must not bring erased data back
    if data.occurrence_key is None and event.type in STEP_STATUS:
        # The whole step finished: plans cancels its occurrences still to come.
        uow.session.execute(
            update(PlannedStep)
            .where(
                PlannedStep.tenant_id == event.tenant_id,
                PlannedStep.action_id == data.action_id,
                PlannedStep.status == "scheduled",
                PlannedStep.due_at > event.occurred_at,
            )
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )
        return
    if data.due_at is None:
        return
    key = data.occurrence_key or data.due_at.isoformat()
    step = uow.session.get(PlannedStep, (event.tenant_id, data.action_id, key))
    if step is None:
        step = PlannedStep(tenant_id=event.tenant_id, action_id=data.action_id, occurrence_key=key)
        uow.session.add(step)
    step.client_id = data.client_id
    step.title = data.title[:TITLE_LIMIT]
    step.due_at = data.due_at
    step.status = STEP_STATUS.get(event.type, "scheduled")


def on_goal_achieved(event: Event[GoalV1], uow: UnitOfWork) -> None:
    data = event.data
    if _erased(uow, event):
        return
    key = (event.tenant_id, data.goal_id)
    if uow.session.get(AchievedGoal, key) is None:
        uow.session.add(
            AchievedGoal(
                tenant_id=event.tenant_id,
                goal_id=data.goal_id,
                client_id=data.client_id,
                title=data.title[:TITLE_LIMIT],
                achieved_at=event.occurred_at,
            )
        )


def on_goal_changed(event: Event[GoalUpdatedV1 | GoalV1], uow: UnitOfWork) -> None:
    """Created or updated: the goal as plans now has it. An event older than what is kept
    (a late delivery) changes nothing."""
    data = event.data
    if _erased(uow, event):
        return
    goal = uow.session.get(ClientGoal, (event.tenant_id, data.goal_id))
    if goal is not None and goal.changed_at > event.occurred_at:
        return
    if goal is None:
        goal = ClientGoal(tenant_id=event.tenant_id, goal_id=data.goal_id)
        uow.session.add(goal)
    goal.client_id = data.client_id
    goal.title = data.title[:TITLE_LIMIT]
    # goal.created from before status and progress were announced: a new goal.
    goal.status = data.status or "proposed"
    goal.progress = data.progress or 0
    goal.changed_at = event.occurred_at


def on_checkin_event(
    event: Event[CheckInMissedV1 | CheckInRecordedV1 | CheckInV1], uow: UnitOfWork
) -> None:
    """Scheduled or rescheduled (with its time), recorded, cancelled or missed."""
    data = event.data
    if _erased(uow, event):
        return
    # checkin.recorded has no time; the others do.
    starts_at = getattr(data, "starts_at", None)
    checkin = uow.session.get(PlannedCheckIn, (event.tenant_id, data.checkin_id))
    if checkin is None:
        if starts_at is None:
            return  # recorded before we heard of it: nothing ahead to tell
        checkin = PlannedCheckIn(tenant_id=event.tenant_id, checkin_id=data.checkin_id)
        uow.session.add(checkin)
    checkin.client_id = data.client_id
    if starts_at is not None:
        checkin.starts_at = starts_at
    checkin.status = CHECKIN_STATUS.get(event.type, "scheduled")


def forget_before(session: Session, tenant_id, client_id, cutoff: datetime) -> None:
    """Drop what no digest will speak of again: everything before ``cutoff``."""
    for model, moment in (
        (PlannedStep, PlannedStep.due_at),
        (AchievedGoal, AchievedGoal.achieved_at),
        (PlannedCheckIn, PlannedCheckIn.starts_at),
    ):
        session.execute(
            delete(model)
            .where(model.tenant_id == tenant_id, model.client_id == client_id, moment < cutoff)
            .execution_options(synchronize_session=False)
        )


def weeks_of(
    session: Session, digests: list[Nudge], timezones: dict[tuple, str], now: datetime
) -> dict[uuid.UUID, WeekInFacts]:
    """What each digest of a claimed batch can say, read in one query per table.

    ``timezones`` maps (tenant, client) to the client's timezone. A digest's week ends at
    its own moment (``event_at``); "next week" runs from ``now``, when it is sent.
    """
    if not digests:
        return {}
    weeks = {
        n.id: Week.ending_at(n.event_at or n.due_at, timezones.get(_key(n), "UTC")) for n in digests
    }
    tenants = {n.tenant_id for n in digests}
    clients = {n.client_id for n in digests}
    since = min(w.starts_at for w in weeks.values())
    until = max(w.next_ends_at for w in weeks.values())

    steps = _by_client(
        session.scalars(
            select(PlannedStep)
            .where(
                PlannedStep.tenant_id.in_(tenants),
                PlannedStep.client_id.in_(clients),
                PlannedStep.due_at >= since,
                PlannedStep.due_at < until,
                PlannedStep.status != "cancelled",
            )
            .order_by(PlannedStep.due_at)
        )
    )
    goals = _by_client(
        session.scalars(
            select(AchievedGoal)
            .where(
                AchievedGoal.tenant_id.in_(tenants),
                AchievedGoal.client_id.in_(clients),
                AchievedGoal.achieved_at >= since,
                AchievedGoal.achieved_at < until,
            )
            .order_by(AchievedGoal.achieved_at)
        )
    )
    checkins = _by_client(
        session.scalars(
            select(PlannedCheckIn)
            .where(
                PlannedCheckIn.tenant_id.in_(tenants),
                PlannedCheckIn.client_id.in_(clients),
                PlannedCheckIn.status == "scheduled",
                PlannedCheckIn.starts_at > now,
                PlannedCheckIn.starts_at < until,
            )
            .order_by(PlannedCheckIn.starts_at)
        )
    )
    return {
        n.id: _week_in_facts(weeks[n.id], now, steps[_key(n)], goals[_key(n)], checkins[_key(n)])
        for n in digests
    }


def _week_in_facts(
    week: Week,
    now: datetime,
    steps: list[PlannedStep],
    goals: list[AchievedGoal],
    checkins: list[PlannedCheckIn],
) -> WeekInFacts:
    this_week = [s for s in steps if week.starts_at <= s.due_at < week.ends_at]
    ahead = [s for s in steps if s.status == "scheduled" and now <= s.due_at < week.next_ends_at]
    upcoming = [c for c in checkins if c.starts_at < week.next_ends_at]
    return WeekInFacts(
        steps_planned=len(this_week),
        steps_done=sum(1 for s in this_week if s.status == "completed"),
        goals_achieved=[g.title for g in goals if week.starts_at <= g.achieved_at < week.ends_at],
        next_steps=[UpcomingStep(s.title, s.due_at) for s in ahead],
        next_checkin_at=upcoming[0].starts_at if upcoming else None,
    )


def _key(row) -> tuple:
    return (row.tenant_id, row.client_id)


def _by_client(rows) -> defaultdict[tuple, list]:
    grouped: defaultdict[tuple, list] = defaultdict(list)
    for row in rows:
        grouped[_key(row)].append(row)
    return grouped
