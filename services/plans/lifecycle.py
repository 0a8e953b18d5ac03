"""The rules of a plan's and a goal's life: which status may follow which, and what
each change announces."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from services.plans import actions, checkins, history, limits, mood_prompts
from services.plans.models import ActionStep, CheckIn, Goal, RecoveryPlan
from services.plans.organisation_settings import settings_of
from shared.db import UnitOfWork
from shared.errors import Conflict
from shared.principals import Principal

PLAN_TRANSITIONS = {
    "draft": {"active"},
    "active": {"under_review"},
    "under_review": {"active", "completed"},
}
GOAL_TRANSITIONS = {
    "proposed": {"active", "cancelled"},
    "active": {"on_hold", "achieved", "cancelled"},
    "on_hold": {"active", "cancelled"},
}
GOAL_STATUSES = ("proposed", "active", "on_hold", "achieved", "cancelled")
OPEN_GOAL_STATUSES = ("proposed", "active", "on_hold")
# What the client's page shows of a goal: a change to any of these is ``goal.updated``.
ANNOUNCED_GOAL_FIELDS = ("title", "status", "progress")
PLAN_STATUSES = ("draft", "active", "under_review", "completed", "closed")


def lifecycle_payload(plan: RecoveryPlan) -> dict:
    return {
        "plan_id": plan.id,
        "client_id": plan.client_id,
        "coach_id": plan.coach_id,
        "review_due_on": plan.review_due_on,
    }


def activated_payload(plan: RecoveryPlan) -> dict:
    """``plan.activated``: the lifecycle fields and how many goals the client starts with
    (those neither achieved nor cancelled)."""
    open_goals = sum(1 for goal in plan.goals if goal.status in OPEN_GOAL_STATUSES)
    return lifecycle_payload(plan) | {"goal_count": open_goals}


def goal_payload(goal: Goal, plan: RecoveryPlan) -> dict:
    return {
        "goal_id": goal.id,
        "plan_id": plan.id,
        "client_id": plan.client_id,
        "title": goal.title,
        "domain": goal.domain,
        "status": goal.status,
        "progress": goal.progress,
        "target_date": goal.target_date,
    }


def change_plan_status(
    uow: UnitOfWork, plan: RecoveryPlan, status: str, actor: Principal, now: datetime
) -> dict:
    if status == plan.status:
        return {}
    if status not in PLAN_TRANSITIONS.get(plan.status, set()):
        raise Conflict(
            f"A plan cannot go from {plan.status} to {status}.",
            errors={"status": [f"Allowed from {plan.status}: {_allowed(PLAN_TRANSITIONS, plan)}"]},
        )
    previous = plan.status
    changes: dict = {"status": status}
    if status == "active":
        weeks = settings_of(uow.session, plan.tenant_id).review_interval_weeks
        local_today = now.astimezone(ZoneInfo(plan.timezone)).date()
        changes |= {"review_due_on": local_today + timedelta(weeks=weeks)}
        changes |= {"review_due_emitted_at": None}
    diff = history.apply_changes(plan, changes)
    diff.pop("review_due_emitted_at", None)
    if status == "active":
        uow.publish("plan.activated", plan.tenant_id, activated_payload(plan), aggregate_id=plan.id)
        open_steps = select(ActionStep).where(
            ActionStep.plan_id == plan.id, ActionStep.status == "open"
        )
        for step in uow.session.scalars(open_steps):
            actions.announce_due(uow, step, plan, now)
        if previous == "draft":  # its check-ins were kept back until now
            coming = select(CheckIn).where(
                CheckIn.plan_id == plan.id,
                CheckIn.status == "scheduled",
                CheckIn.starts_at > now,
            )
            for checkin in uow.session.scalars(coming.order_by(CheckIn.starts_at)):
                checkins.announce(uow, checkin, plan)
            # The goals drafted at onboarding, so the client's page shows them from day one.
            for goal in sorted(plan.goals, key=lambda g: (g.created_at is None, g.created_at)):
                if goal.status in OPEN_GOAL_STATUSES:
                    uow.publish(
                        "goal.updated",
                        plan.tenant_id,
                        goal_payload(goal, plan),
                        aggregate_id=plan.id,
                    )
    elif status == "completed":
        uow.publish("plan.completed", plan.tenant_id, lifecycle_payload(plan), aggregate_id=plan.id)
        diff |= mood_prompts.stop_mood_prompts(uow, plan)
    return diff


def _allowed(table: dict, row) -> str:
    return ", ".join(sorted(table.get(row.status, ()))) or "nothing"


def check_goal_transition(goal: Goal, status: str) -> None:
    if status != goal.status and status not in GOAL_TRANSITIONS.get(goal.status, set()):
        raise Conflict(
            f"A goal cannot go from {goal.status} to {status}.",
            errors={"status": [f"Allowed from {goal.status}: {_allowed(GOAL_TRANSITIONS, goal)}"]},
        )


def add_goal(uow: UnitOfWork, plan: RecoveryPlan, fields: dict, actor: Principal) -> Goal:
    limits.require_room_for_goal(uow.session, plan)
    position = max((g.position for g in plan.goals), default=0) + 1
    goal = Goal(id=uuid.uuid4(), tenant_id=plan.tenant_id, plan_id=plan.id, position=position)
    for name, value in fields.items():
        setattr(goal, name, value)
    goal.status = goal.status or "proposed"
    goal.progress = goal.progress or 0
    goal.priority = goal.priority or "medium"
    uow.session.add(goal)
    uow.session.flush()
    history.record(uow.session, plan, actor, "goal", goal.id, "created", fields)
    uow.publish("goal.created", plan.tenant_id, goal_payload(goal, plan), aggregate_id=plan.id)
    return goal


def update_goal(
    uow: UnitOfWork, goal: Goal, plan: RecoveryPlan, fields: dict, actor: Principal, now
) -> None:
    if "status" in fields:
        check_goal_transition(goal, fields["status"])
    if fields.get("status") == "achieved" and goal.status != "achieved":
        fields = {"progress": 100} | fields | {"achieved_at": now}
    diff = history.apply_changes(goal, fields)
    if not diff:
        return
    history.record(uow.session, plan, actor, "goal", goal.id, "updated", diff)
    if set(diff) & set(ANNOUNCED_GOAL_FIELDS):
        uow.publish("goal.updated", plan.tenant_id, goal_payload(goal, plan), aggregate_id=plan.id)
    if "status" in diff and goal.status == "achieved":
        uow.publish("goal.achieved", plan.tenant_id, goal_payload(goal, plan), aggregate_id=plan.id)
