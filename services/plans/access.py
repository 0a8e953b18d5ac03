"""Who may see which plan: every query scoped by tenant, coaches to their own clients.

Anything out of scope is a 404, exactly like a plan that does not exist.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.plans.models import ActionStep, CheckIn, Goal, RecoveryPlan
from shared.auth import Principal
from shared.errors import Conflict, NotFound

OPEN_STATUSES = ("draft", "active", "under_review")


def scoped_plans(principal: Principal) -> Select:
    stmt = select(RecoveryPlan).where(RecoveryPlan.tenant_id == principal.tenant_id)
    if principal.role != "org_admin":
        stmt = stmt.where(RecoveryPlan.coach_id == principal.staff_id)
    return stmt


def plan_for(session: Session, principal: Principal, plan_id: uuid.UUID) -> RecoveryPlan:
    plan = session.scalar(scoped_plans(principal).where(RecoveryPlan.id == plan_id))
    if plan is None:
        raise NotFound("No such plan.")
    return plan


def open_plan_for(session: Session, principal: Principal, plan_id: uuid.UUID) -> RecoveryPlan:
    """A plan that can still be changed (not completed, closed or erased)."""
    plan = plan_for(session, principal, plan_id)
    require_open(plan)
    return plan


def require_open(plan: RecoveryPlan) -> None:
    if plan.status not in OPEN_STATUSES:
        raise Conflict(f"The plan is {plan.status}; it can no longer be changed.")


def _child(session, principal, model, child_id, what: str):
    row = session.get(model, child_id)
    if row is None or row.tenant_id != principal.tenant_id:
        raise NotFound(f"No such {what}.")
    try:
        plan = plan_for(session, principal, row.plan_id)
    except NotFound:
        raise NotFound(f"No such {what}.") from None
    return row, plan


def goal_for(session: Session, principal: Principal, goal_id: uuid.UUID):
    return _child(session, principal, Goal, goal_id, "goal")


def action_for(session: Session, principal: Principal, action_id: uuid.UUID):
    return _child(session, principal, ActionStep, action_id, "action step")


def checkin_for(session: Session, principal: Principal, checkin_id: uuid.UUID):
    return _child(session, principal, CheckIn, checkin_id, "check-in")
