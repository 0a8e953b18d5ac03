"""Action steps: their occurrences, and the events that tell notifications about them.

Occurrences are materialised (one row each, unique per step and key) as they enter a
rolling horizon, and each is announced with ``action.scheduled`` in the same
transaction as its row: the unique key makes a second announcement impossible. Only
steps of an active (or under review) plan are announced.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from sqlalchemy import select

from services.plans import history, limits
from services.plans.models import ActionOccurrence, ActionStep, RecoveryPlan
from services.plans.recurrence import (
    Occurrence,
    Recurrence,
    occurrence_key,
    occurrences_between,
)
from shared.db import UnitOfWork
from shared.errors import Conflict, Unprocessable
from shared.localtime import local_iso, to_utc
from shared.principals import Principal

HORIZON = timedelta(days=8)
ANNOUNCING_PLAN_STATUSES = ("active", "under_review")
SCHEDULE_FIELDS = ("due_at", "local_time", "weekdays", "start_date", "end_date")


def rule_of(step: ActionStep) -> Recurrence | None:
    if step.frequency == "once":
        return None
    hours, minutes = map(int, step.local_time.split(":"))
    return Recurrence(
        step.frequency,
        time(hours, minutes),
        step.start_date,
        step.end_date,
        tuple(step.weekdays or ()),
    )


def _once_key(step: ActionStep, timezone: str) -> str:
    return occurrence_key(datetime.fromisoformat(local_iso(step.due_at, timezone)))


def payload(
    step: ActionStep,
    plan: RecoveryPlan,
    occurrence: ActionOccurrence | None,
    previous_due_at: datetime | None = None,
) -> dict:
    due_at = occurrence.due_at if occurrence else None
    return {
        "action_id": step.id,
        "goal_id": step.goal_id,
        "plan_id": plan.id,
        "client_id": plan.client_id,
        "title": step.title,
        "occurrence_key": occurrence.occurrence_key if occurrence else None,
        "due_at": due_at,
        "due_local": local_iso(due_at, plan.timezone) if due_at else None,
        "timezone": plan.timezone,
        "reminder_lead_minutes": step.reminder_lead_minutes,
        "previous_due_at": previous_due_at,
    }


def _announce_finished(uow, outcome: str, step, plan, occurrence) -> None:
    """``action.completed`` or ``action.cancelled``, as ``outcome`` says."""
    data = payload(step, plan, occurrence)
    if outcome == "completed":
        uow.publish("action.completed", plan.tenant_id, data, aggregate_id=plan.id)
    else:
        uow.publish("action.cancelled", plan.tenant_id, data, aggregate_id=plan.id)


def _new_occurrence(step, occurrence: Occurrence) -> ActionOccurrence:
    """A scheduled occurrence row, attached to its step (and so to the step's session)."""
    row = ActionOccurrence(
        id=uuid.uuid4(),
        tenant_id=step.tenant_id,
        action_id=step.id,
        occurrence_key=occurrence.key,
        due_at=occurrence.due_at,
        status="scheduled",
    )
    step.occurrences.append(row)
    return row


def _materialise(uow, step, occurrence: Occurrence) -> ActionOccurrence:
    row = _new_occurrence(step, occurrence)
    uow.session.add(row)
    return row


def announce_due(uow: UnitOfWork, step: ActionStep, plan: RecoveryPlan, now: datetime) -> int:
    """Materialise and announce the step's occurrences due before ``now + HORIZON``."""
    if plan.status not in ANNOUNCING_PLAN_STATUSES or step.status != "open":
        return 0
    known = {o.occurrence_key for o in step.occurrences}
    rule = rule_of(step)
    if rule is None:
        # A one-off step has one occurrence, keyed by its original time for good.
        due = [] if step.occurrences else [Occurrence(_once_key(step, plan.timezone), step.due_at)]
    else:
        start = max(step.scheduled_through or now, now)
        due = occurrences_between(rule, plan.timezone, start, now + HORIZON)
        step.scheduled_through = now + HORIZON
    fresh = [o for o in due if o.key not in known]
    for occurrence in fresh:
        row = _materialise(uow, step, occurrence)
        uow.publish(
            "action.scheduled", plan.tenant_id, payload(step, plan, row), aggregate_id=plan.id
        )
    return len(fresh)


def create_step(
    uow: UnitOfWork, plan: RecoveryPlan, goal_id: uuid.UUID, fields: dict, actor, now
) -> ActionStep:
    limits.require_room_for_step(uow.session, plan, goal_id)
    step = ActionStep(
        id=uuid.uuid4(),
        tenant_id=plan.tenant_id,
        plan_id=plan.id,
        goal_id=goal_id,
        status="open",
        **fields,
    )
    uow.session.add(step)
    uow.session.flush()
    history.record(uow.session, plan, actor, "action", step.id, "created", fields)
    announce_due(uow, step, plan, now)
    return step


def occurrence_of(step: ActionStep, plan: RecoveryPlan, key: str | None) -> ActionOccurrence:
    """The occurrence ``key`` names (a one-off step's only one when ``key`` is None),
    materialised on demand when it lies beyond the horizon."""
    if key is None:
        if step.frequency != "once":
            raise Unprocessable(
                "Name the occurrence of a recurring step.",
                errors={"occurrence_key": ["Required for a recurring step."]},
            )
        if step.occurrences:
            return step.occurrences[0]
        key = _once_key(step, plan.timezone)
    for row in step.occurrences:
        if row.occurrence_key == key:
            return row
    return _new_occurrence(step, _occurrence_for_key(step, plan, key))


def _occurrence_for_key(step, plan, key: str) -> Occurrence:
    unknown = Unprocessable(
        "The step has no such occurrence.",
        errors={"occurrence_key": [f"No occurrence {key!r} in this step's schedule."]},
    )
    rule = rule_of(step)
    try:
        local = datetime.fromisoformat(key)
    except ValueError:
        raise unknown from None
    if rule is None:
        if key == _once_key(step, plan.timezone):
            return Occurrence(key, step.due_at)
        raise unknown
    if local.tzinfo or local.time() != rule.local_time or not rule.falls_on(local.date()):
        raise unknown
    return Occurrence(key, to_utc(local.date(), rule.local_time, plan.timezone))


def _require_open(step: ActionStep) -> None:
    if step.status != "open":
        raise Conflict(f"The action step is {step.status}.")


def _require_scheduled(row: ActionOccurrence) -> None:
    if row.status != "scheduled":
        raise Conflict(f"That occurrence is already {row.status}.")


def finish_occurrence(
    uow,
    step,
    plan,
    key: str | None,
    outcome: str,
    actor: Principal,
    now: datetime,
    reply_id: uuid.UUID | None = None,
) -> None:
    """Complete or cancel one occurrence (``key``), or the whole step (``key`` None on a
    recurring step). ``reply_id``: the client's Done that completed it."""
    _require_open(step)
    if key is None and step.frequency != "once":
        step.status = outcome
        for row in step.occurrences:
            if row.status == "scheduled" and row.due_at > now:
                row.status = "cancelled"
        history.record(uow.session, plan, actor, "action", step.id, outcome, {"status": outcome})
        _announce_finished(uow, outcome, step, plan, None)
        return
    row = occurrence_of(step, plan, key)
    _require_scheduled(row)
    row.status = outcome
    row.completed_at = now if outcome == "completed" else None
    row.completed_by_reply_id = reply_id if outcome == "completed" else None
    if step.frequency == "once":
        step.status = outcome
    history.record(
        uow.session,
        plan,
        actor,
        "action",
        step.id,
        f"occurrence_{outcome}",
        {"occurrence_key": row.occurrence_key},
    )
    _announce_finished(uow, outcome, step, plan, row)


def completed_by(step: ActionStep, key: str | None, reply_id: uuid.UUID) -> ActionOccurrence | None:
    """The occurrence ``key`` names (a one-off step's only one) if the client's Done
    ``reply_id`` completed it and nothing has finished the whole step since."""
    if step.frequency == "once":
        rows = step.occurrences[:1]
    else:
        rows = [o for o in step.occurrences if o.occurrence_key == key]
        if step.status != "open":
            return None
    return next(
        (o for o in rows if o.status == "completed" and o.completed_by_reply_id == reply_id),
        None,
    )


def reopen_occurrence(uow, step, plan, row: ActionOccurrence, reply_id: uuid.UUID) -> None:
    """The client took back the Done that completed ``row``: it is scheduled again, in the
    history, and announced again (``action.scheduled``) so its reminder comes back."""
    row.status = "scheduled"
    row.completed_at = row.completed_by_reply_id = None
    if step.frequency == "once":
        step.status = "open"
    history.record(
        uow.session,
        plan,
        None,
        "action",
        step.id,
        "occurrence_reopened",
        {"occurrence_key": row.occurrence_key, "reply_id": str(reply_id)},
    )
    if plan.status in ANNOUNCING_PLAN_STATUSES:
        uow.publish(
            "action.scheduled", plan.tenant_id, payload(step, plan, row), aggregate_id=plan.id
        )


def reschedule_occurrence(
    uow, step, plan, key: str | None, due_at: datetime, actor: Principal
) -> ActionOccurrence:
    _require_open(step)
    row = occurrence_of(step, plan, key)
    _require_scheduled(row)
    if step.frequency == "once":
        step.due_at = due_at
    _move(uow, step, plan, row, due_at, actor)
    return row


def _move(uow, step, plan, row: ActionOccurrence, due_at: datetime, actor) -> None:
    """Give an announced occurrence another time, in the history and with an event."""
    previous, row.due_at = row.due_at, due_at
    history.record(
        uow.session,
        plan,
        actor,
        "action",
        step.id,
        "occurrence_rescheduled",
        {"occurrence_key": row.occurrence_key, "due_at": {"from": previous, "to": due_at}},
    )
    uow.publish(
        "action.rescheduled",
        plan.tenant_id,
        payload(step, plan, row, previous_due_at=previous),
        aggregate_id=plan.id,
    )


def update_step(uow, step, plan, fields: dict, actor: Principal, now: datetime) -> None:
    _require_open(step)
    if step.frequency == "once" and "due_at" in fields and step.due_at != fields["due_at"]:
        announced = any(o.occurrence_key for o in step.occurrences)
        if announced:
            reschedule_occurrence(uow, step, plan, None, fields["due_at"], actor)
    diff = history.apply_changes(step, fields)
    if not diff:
        return
    history.record(uow.session, plan, actor, "action", step.id, "updated", diff)
    if step.frequency != "once" and set(diff) & set(SCHEDULE_FIELDS):
        _replan(uow, step, plan, now)


def _replan(uow, step, plan, now) -> None:
    """After a schedule change: cancel announced future occurrences the new schedule no
    longer has, then announce the new ones."""
    rule = rule_of(step)
    keep = {
        o.key
        for o in occurrences_between(
            rule, plan.timezone, now, max(now, step.scheduled_through or now)
        )
    }
    for row in step.occurrences:
        if row.status == "scheduled" and row.due_at >= now and row.occurrence_key not in keep:
            row.status = "cancelled"
            uow.publish(
                "action.cancelled", plan.tenant_id, payload(step, plan, row), aggregate_id=plan.id
            )
    step.scheduled_through = now
    announce_due(uow, step, plan, now)


def follow_timezone(uow, plan: RecoveryPlan, previous_timezone: str, since: datetime) -> int:
    """The client moved to another timezone (``plan.timezone`` already says the new one).

    A recurring step is kept at its local time where the client now lives, so each of its
    occurrences announced for after ``since`` moves to that time, with
    ``action.rescheduled`` (notifications moves the reminder). An occurrence a coach moved
    by hand, and a one-off step's due time, stay where they were put. The horizon is then
    filled again in the new timezone. Returns how many occurrences moved."""
    moved = 0
    steps = uow.session.scalars(
        select(ActionStep).where(ActionStep.plan_id == plan.id, ActionStep.status == "open")
    )
    for step in steps:
        rule = rule_of(step)
        if rule is None:
            continue
        for row in step.occurrences:
            if row.status != "scheduled" or row.due_at < since:
                continue
            day = datetime.fromisoformat(row.occurrence_key).date()
            if row.due_at != to_utc(day, rule.local_time, previous_timezone):
                continue  # moved by hand: an instant someone chose
            due_at = to_utc(day, rule.local_time, plan.timezone)
            if due_at == row.due_at:
                continue
            _move(uow, step, plan, row, due_at, None)
            moved += 1
        step.scheduled_through = since
        announce_due(uow, step, plan, since)
    return moved


def overdue(step: ActionStep, now: datetime) -> list[ActionOccurrence]:
    if step.status != "open":
        return []
    return [o for o in step.occurrences if o.status == "scheduled" and o.due_at < now]


def check_schedule_kind(frequency: str, changes: dict) -> None:
    """Refuse (422) schedule fields that a step of ``frequency`` does not have: a one-off
    step has a ``due_at`` (never null) and no recurrence, a recurring one no ``due_at``, a
    daily one no ``weekdays``."""
    recurring = ("local_time", "weekdays", "start_date", "end_date")
    if frequency == "once":
        wrong = [name for name in recurring if name in changes]
    else:
        wrong = ["due_at"] if "due_at" in changes else []
        if frequency == "daily" and "weekdays" in changes:
            wrong.append("weekdays")
    if frequency == "once" and "due_at" in changes and changes["due_at"] is None:
        wrong.append("due_at")
    if wrong:
        raise Unprocessable(
            f"Not a field of a {frequency} step.",
            errors={name: [f"Not applicable to a {frequency} step."] for name in wrong},
        )
