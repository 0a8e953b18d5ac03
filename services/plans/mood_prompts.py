"""Mood prompts: the coach asks for a self check-in on chosen weekdays at a local time.

Plans keeps the setting on the plan and announces each change
(``plan.mood_prompts_set``); notifications sends the ``mood_prompt`` nudges, and the
client's numeric replies come back as wellbeing points (``client.replied``).
"""

from __future__ import annotations

from services.plans import history
from services.plans.models import RecoveryPlan
from shared.db import UnitOfWork
from shared.errors import Conflict
from shared.localtime import WEEKDAYS

# A draft plan has not reached the client yet; a finished one has nothing more to ask.
PROMPTING_STATUSES = ("active", "under_review")


def set_mood_prompts(
    uow: UnitOfWork,
    plan: RecoveryPlan,
    weekdays: list[str] | None,
    local_time: str | None,
) -> dict:
    """Set (or, with None, clear) the plan's mood prompts; announce a change. Returns the
    revision's diff (empty when nothing changed)."""
    if plan.status not in PROMPTING_STATUSES:
        raise Conflict(
            f"The plan is {plan.status}; mood prompts are for an active plan or one under review.",
            errors={"status": [f"Allowed for: {', '.join(PROMPTING_STATUSES)}."]},
        )
    return _apply(uow, plan, weekdays, local_time)


def stop_mood_prompts(uow: UnitOfWork, plan: RecoveryPlan) -> dict:
    """The plan is completed: its prompts stop (notifications cancels the pending one)."""
    return _apply(uow, plan, None, None)


def _apply(
    uow: UnitOfWork, plan: RecoveryPlan, weekdays: list[str] | None, local_time: str | None
) -> dict:
    if weekdays is not None:
        weekdays = sorted(set(weekdays), key=WEEKDAYS.index)  # kept in week order
    diff = history.apply_changes(
        plan, {"mood_prompt_weekdays": weekdays, "mood_prompt_local_time": local_time}
    )
    if diff:
        uow.publish(
            "plan.mood_prompts_set",
            plan.tenant_id,
            {
                "plan_id": plan.id,
                "client_id": plan.client_id,
                "weekdays": weekdays,
                "local_time": local_time,
            },
            aggregate_id=plan.id,
        )
    return diff
