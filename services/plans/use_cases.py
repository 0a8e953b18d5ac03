"""Plans' use cases: what one API request does, in the unit of work it owns.

Each takes the unit of work (new, not yet open: the web layer supplies it, see
``shared.use_case``), the caller and the request's parsed inputs; it opens the unit of
work, finds what the caller may touch (``scoping``), calls the domain, commits (the
outbox publishes with the commit) and returns what the view renders, the row whose
version makes the ``ETag`` included. An error on the way leaves with nothing written; a
concurrent writer's commit surfaces as ``StaleDataError`` (412 in the API). No web code
here: an ``If-Match`` comes in as its value, the time from ``uow.clock``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select

from services.plans import (
    actions,
    checkins,
    escalation,
    history,
    lifecycle,
    mood_prompts,
    naming,
    scoping,
)
from services.plans.models import (
    ActionStep,
    CheckIn,
    Goal,
    JournalEntry,
    OrganisationSettings,
    RecoveryPlan,
    Revision,
    TimelineEntry,
)
from services.plans.organisation_settings import settings_of
from services.plans.progress import progress_of
from services.plans.views import action_view, journal_entry_view, revision_view, timeline_view
from shared.db import UnitOfWork
from shared.errors import Conflict
from shared.pagination import paginate
from shared.preconditions import check_if_match, etag_of

if TYPE_CHECKING:
    from shared.principals import Principal

# -- plans --------------------------------------------------------------------------------


def list_plans(uow: UnitOfWork, principal: Principal, query: dict) -> dict:
    stmt = scoping.scoped_plans(principal).where(RecoveryPlan.client_id == query["client_id"])
    with uow:
        return paginate(uow.session, stmt, RecoveryPlan, query)


def update_plan(
    uow: UnitOfWork, principal: Principal, plan_id: uuid.UUID, changes: dict, *, if_match
) -> RecoveryPlan:
    """Move the plan along its statuses and/or acknowledge its risk flag."""
    with uow:
        plan = scoping.open_plan_for(uow.session, principal, plan_id)
        check_if_match(if_match, etag_of(plan.id, plan.version))
        diff = {}
        if "status" in changes:
            diff |= lifecycle.change_plan_status(
                uow, plan, changes["status"], principal, uow.clock()
            )
        if changes.get("risk_flagged") is False and plan.risk_flagged:
            uow.publish(
                "client.risk_acknowledged",
                plan.tenant_id,
                {
                    "plan_id": plan.id,
                    "client_id": plan.client_id,
                    "reason": plan.risk_reason,
                    "acknowledged_by": principal.staff_id,
                    "acknowledged_at": uow.clock(),
                },
                aggregate_id=plan.id,
            )
            diff |= history.apply_changes(plan, {"risk_flagged": False, "risk_reason": None})
        if diff:  # dated on the clock: the report dates an acknowledgement by it
            history.record(
                uow.session, plan, principal, "plan", plan.id, "updated", diff, at=uow.clock()
            )
        uow.commit()
    return plan


def set_mood_prompts(
    uow: UnitOfWork,
    principal: Principal,
    plan_id: uuid.UUID,
    weekdays,
    local_time,
    *,
    if_match,
) -> RecoveryPlan:
    with uow:
        plan = scoping.plan_for(uow.session, principal, plan_id)
        check_if_match(if_match, etag_of(plan.id, plan.version))
        diff = mood_prompts.set_mood_prompts(uow, plan, weekdays, local_time)
        if diff:
            history.record(uow.session, plan, principal, "plan", plan.id, "updated", diff)
        uow.commit()
    return plan


def set_escalation(
    uow: UnitOfWork, principal: Principal, plan_id: uuid.UUID, values: dict, *, if_match
) -> tuple[RecoveryPlan, dict]:
    """Set the plan's escalation of a missed self check-in; the plan and its windows."""
    with uow:
        plan = scoping.plan_for(uow.session, principal, plan_id)
        check_if_match(if_match, etag_of(plan.id, plan.version))
        if plan.status == "completed":
            raise Conflict(
                "The plan is completed; it has no check-ins to escalate.",
                errors={"status": ["Not for a completed plan."]},
            )
        settings = settings_of(uow.session, plan.tenant_id)
        diff = escalation.set_escalation(uow, plan, values, settings)
        if diff:
            history.record(uow.session, plan, principal, "plan", plan.id, "updated", diff)
        view = escalation.escalation_view(plan, settings)
        uow.commit()
    return plan, view


def plan_history(uow: UnitOfWork, principal: Principal, plan_id: uuid.UUID, query: dict) -> dict:
    with uow:
        session = uow.session
        plan = scoping.plan_for(session, principal, plan_id)
        stmt = select(Revision).where(Revision.plan_id == plan.id)
        page = paginate(session, stmt, Revision, query)
        names = naming.staff_names(session, plan.tenant_id, (r.actor_id for r in page["items"]))
    page["items"] = [revision_view(r, names) for r in page["items"]]
    return page


def plan_timeline(uow: UnitOfWork, principal: Principal, plan_id: uuid.UUID):
    with uow:
        session = uow.session
        plan = scoping.plan_for(session, principal, plan_id)
        revisions = session.scalars(
            select(Revision).where(Revision.plan_id == plan.id).order_by(Revision.created_at)
        ).all()
        nudges = session.scalars(
            select(TimelineEntry).where(
                TimelineEntry.tenant_id == plan.tenant_id,
                TimelineEntry.client_id == plan.client_id,
            )
        ).all()
        replies = session.scalars(select(JournalEntry).where(JournalEntry.plan_id == plan.id)).all()
        names = naming.staff_names(session, plan.tenant_id, (r.actor_id for r in revisions))
    return timeline_view(revisions, nudges, replies, names)


def plan_journal(uow: UnitOfWork, principal: Principal, plan_id: uuid.UUID, query: dict) -> dict:
    with uow:
        session = uow.session
        plan = scoping.plan_for(session, principal, plan_id)
        stmt = select(JournalEntry).where(JournalEntry.plan_id == plan.id)
        page = paginate(
            session, stmt, JournalEntry, query, at=JournalEntry.received_at, newest_first=True
        )
        titles = naming.action_titles(session, plan.tenant_id, (e.action_id for e in page["items"]))
    page["items"] = [journal_entry_view(entry, titles) for entry in page["items"]]
    return page


def plan_progress(uow: UnitOfWork, principal: Principal, plan_id: uuid.UUID) -> dict:
    with uow:
        plan = scoping.plan_for(uow.session, principal, plan_id)
        return progress_of(uow.session, plan, uow.clock())


# -- goals --------------------------------------------------------------------------------


def create_goal(uow: UnitOfWork, principal: Principal, plan_id: uuid.UUID, fields: dict) -> Goal:
    with uow:
        plan = scoping.open_plan_for(uow.session, principal, plan_id)
        goal = lifecycle.add_goal(uow, plan, fields, principal)
        uow.commit()
    return goal


def get_goal(uow: UnitOfWork, principal: Principal, goal_id: uuid.UUID) -> Goal:
    with uow:
        goal, _plan = scoping.goal_for(uow.session, principal, goal_id)
        return goal


def update_goal(
    uow: UnitOfWork, principal: Principal, goal_id: uuid.UUID, changes: dict, *, if_match
) -> Goal:
    with uow:
        goal, plan = scoping.goal_for(uow.session, principal, goal_id)
        scoping.require_open(plan)
        check_if_match(if_match, etag_of(goal.id, goal.version))
        lifecycle.update_goal(uow, goal, plan, changes, principal, uow.clock())
        uow.commit()
    return goal


# -- action steps: each change answers the step and its view ------------------------------


def create_action(
    uow: UnitOfWork, principal: Principal, goal_id: uuid.UUID, fields: dict
) -> tuple[ActionStep, dict]:
    now = uow.clock()
    with uow:
        goal, plan = scoping.goal_for(uow.session, principal, goal_id)
        scoping.require_open(plan)
        step = actions.create_step(uow, plan, goal.id, fields, principal, now)
        uow.commit()
        return step, action_view(step, plan, now)


def list_actions(uow: UnitOfWork, principal: Principal, plan_id: uuid.UUID) -> list[dict]:
    now = uow.clock()
    with uow:
        plan = scoping.plan_for(uow.session, principal, plan_id)
        steps = uow.session.scalars(
            select(ActionStep).where(ActionStep.plan_id == plan.id).order_by(ActionStep.created_at)
        ).all()
        return [action_view(step, plan, now) for step in steps]


def get_action(
    uow: UnitOfWork, principal: Principal, action_id: uuid.UUID
) -> tuple[ActionStep, dict]:
    with uow:
        step, plan = scoping.action_for(uow.session, principal, action_id)
        return step, action_view(step, plan, uow.clock())


def _change_action(
    uow: UnitOfWork,
    principal: Principal,
    action_id: uuid.UUID,
    change: Callable,
    if_match: str | None = None,
) -> tuple[ActionStep, dict]:
    """``change(step, plan, now)`` on a step of an open plan, as the caller."""
    now = uow.clock()
    with uow:
        step, plan = scoping.action_for(uow.session, principal, action_id)
        scoping.require_open(plan)
        check_if_match(if_match, etag_of(step.id, step.version))
        change(step, plan, now)
        uow.commit()
        return step, action_view(step, plan, now)


def update_action(
    uow: UnitOfWork, principal: Principal, action_id: uuid.UUID, changes: dict, *, if_match
) -> tuple[ActionStep, dict]:
    """Edit a step; a new schedule reschedules the whole step."""

    def change(step, plan, now):
        actions.check_schedule_kind(step.frequency, changes)
        actions.update_step(uow, step, plan, changes, principal, now)

    return _change_action(uow, principal, action_id, change, if_match)


def finish_occurrence(
    uow: UnitOfWork, principal: Principal, action_id: uuid.UUID, key: str | None, outcome: str
) -> tuple[ActionStep, dict]:
    return _change_action(
        uow,
        principal,
        action_id,
        lambda step, plan, now: actions.finish_occurrence(
            uow, step, plan, key, outcome, principal, now
        ),
    )


def reschedule_occurrence(
    uow: UnitOfWork, principal: Principal, action_id: uuid.UUID, key: str | None, due_at
) -> tuple[ActionStep, dict]:
    return _change_action(
        uow,
        principal,
        action_id,
        lambda step, plan, _now: actions.reschedule_occurrence(
            uow, step, plan, key, due_at, principal
        ),
    )


# -- check-ins ----------------------------------------------------------------------------


def schedule_checkin(
    uow: UnitOfWork, principal: Principal, plan_id: uuid.UUID, fields: dict
) -> CheckIn:
    with uow:
        plan = scoping.open_plan_for(uow.session, principal, plan_id)
        checkin = checkins.schedule(uow, plan, fields, principal)
        uow.commit()
    return checkin


def list_checkins(uow: UnitOfWork, principal: Principal, plan_id: uuid.UUID) -> list[CheckIn]:
    with uow:
        plan = scoping.plan_for(uow.session, principal, plan_id)
        return uow.session.scalars(
            select(CheckIn).where(CheckIn.plan_id == plan.id).order_by(CheckIn.starts_at)
        ).all()


def get_checkin(uow: UnitOfWork, principal: Principal, checkin_id: uuid.UUID) -> CheckIn:
    with uow:
        checkin, _plan = scoping.checkin_for(uow.session, principal, checkin_id)
        return checkin


def _change_checkin(
    uow: UnitOfWork, principal: Principal, checkin_id: uuid.UUID, if_match, change: Callable
) -> CheckIn:
    """``change(checkin, plan)`` on a check-in of an open plan, as the caller."""
    with uow:
        checkin, plan = scoping.checkin_for(uow.session, principal, checkin_id)
        scoping.require_open(plan)
        check_if_match(if_match, etag_of(checkin.id, checkin.version))
        change(checkin, plan)
        uow.commit()
    return checkin


def record_checkin(
    uow: UnitOfWork, principal: Principal, checkin_id: uuid.UUID, fields: dict, *, if_match
) -> CheckIn:
    """Attendance, wellbeing and progress notes."""
    now = uow.clock()
    return _change_checkin(
        uow,
        principal,
        checkin_id,
        if_match,
        lambda checkin, plan: checkins.record(uow, checkin, plan, fields, principal, now),
    )


def reschedule_checkin(
    uow: UnitOfWork, principal: Principal, checkin_id: uuid.UUID, fields: dict, *, if_match
) -> CheckIn:
    return _change_checkin(
        uow,
        principal,
        checkin_id,
        if_match,
        lambda checkin, plan: checkins.reschedule(uow, checkin, plan, fields, principal),
    )


def cancel_checkin(
    uow: UnitOfWork, principal: Principal, checkin_id: uuid.UUID, *, if_match
) -> CheckIn:
    return _change_checkin(
        uow,
        principal,
        checkin_id,
        if_match,
        lambda checkin, plan: checkins.cancel(uow, checkin, plan, principal),
    )


# -- settings -----------------------------------------------------------------------------


def get_settings(uow: UnitOfWork, principal: Principal) -> OrganisationSettings:
    with uow:
        return settings_of(uow.session, principal.tenant_id)


def put_settings(
    uow: UnitOfWork, principal: Principal, values: dict, *, if_match
) -> OrganisationSettings:
    with uow:
        current = settings_of(uow.session, principal.tenant_id)
        check_if_match(if_match, etag_of(principal.tenant_id, current.version))
        if current.version == 0:
            current = OrganisationSettings(tenant_id=principal.tenant_id)
            uow.session.add(current)
        for name, value in values.items():
            setattr(current, name, value)
        uow.commit()
    return current
