"""Who may see which plan: every query scoped by tenant, coaches to their own clients.

Anything out of scope is a 404, exactly like a plan that does not exist.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, Select, bindparam, select
from sqlalchemy.orm import Session

from services.plans.models import ActionStep, CheckIn, Goal, RecoveryPlan, mood_prompts_view
from shared.errors import Conflict, NotFound
from shared.principals import Principal

OPEN_STATUSES = ("draft", "active", "under_review")


def scoped_plans(principal: Principal) -> Select:
    return select(RecoveryPlan).where(
        *_scope(principal.tenant_id, principal.staff_id, admin=principal.role == "org_admin")
    )


def _scope(tenant_id, staff_id, *, admin: bool) -> list:
    condition = [RecoveryPlan.tenant_id == tenant_id]
    if not admin:
        condition.append(RecoveryPlan.coach_id == staff_id)
    return condition


def plan_for(session: Session, principal: Principal, plan_id: uuid.UUID) -> RecoveryPlan:
    plan = session.scalar(scoped_plans(principal).where(RecoveryPlan.id == plan_id))
    if plan is None:
        raise NotFound("No such plan.")
    return plan


# The most frequent read of plans: a plan and its goals in one statement, built once per
# scope (org admin or not) and run without the ORM.
_PLANS, _GOALS = RecoveryPlan.__table__, Goal.__table__
_PLAN_WITH_GOALS = {
    admin: select(_PLANS, _GOALS)
    .select_from(_PLANS.outerjoin(_GOALS, _GOALS.c.plan_id == _PLANS.c.id))
    .where(
        _PLANS.c.id == bindparam("plan_id"),
        *_scope(bindparam("tenant_id"), bindparam("staff_id"), admin=admin),
    )
    .order_by(_GOALS.c.position)
    for admin in (True, False)
}
_PLAN_COLUMNS, _GOAL_COLUMNS = list(_PLANS.c.keys()), list(_GOALS.c.keys())
_GOAL_ID = len(_PLAN_COLUMNS) + _GOAL_COLUMNS.index("id")  # its place in a joined row


def read_plan(connection: Connection, principal: Principal, plan_id: uuid.UUID) -> dict:
    """What :func:`plan_for` finds, with its goals in order, as a dict for reading only
    (``GET`` a plan)."""
    rows = connection.execute(
        _PLAN_WITH_GOALS[principal.role == "org_admin"],
        {"plan_id": plan_id, "tenant_id": principal.tenant_id, "staff_id": principal.staff_id},
    ).all()
    if not rows:
        raise NotFound("No such plan.")
    width = len(_PLAN_COLUMNS)
    plan = dict(zip(_PLAN_COLUMNS, rows[0][:width], strict=True))
    plan["mood_prompts"] = mood_prompts_view(
        plan["mood_prompt_weekdays"], plan["mood_prompt_local_time"]
    )
    plan["goals"] = [
        dict(zip(_GOAL_COLUMNS, row[width:], strict=True))
        for row in rows
        if row[_GOAL_ID] is not None  # a plan without goals joins to one row of nulls
    ]
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
