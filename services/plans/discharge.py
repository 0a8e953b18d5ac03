"""A client discharged in intake (``client.discharged``): their open plans close, and the
plans' open steps and scheduled check-ins stop."""

from __future__ import annotations

from sqlalchemy import update

from services.plans import history
from services.plans.client_plans import plans_of_client
from services.plans.models import ActionStep, CheckIn, RecoveryPlan
from shared.db import UnitOfWork
from shared.events import Event


def close_plans(uow: UnitOfWork, event: Event) -> None:
    """Close open plans; their steps and check-ins stop (notifications cancels its nudges
    on the same event, so no per-step events are needed)."""
    for plan in plans_of_client(uow, event):
        if plan.status in ("completed", "closed"):
            continue
        previous = plan.status
        plan.status = "closed"
        plan.closed_reason = "discharged"
        stop_pending_work(uow, plan)
        history.record(
            uow.session,
            plan,
            None,
            "plan",
            plan.id,
            "closed",
            {"status": {"from": previous, "to": "closed"}, "reason": "discharged"},
        )


def stop_pending_work(uow: UnitOfWork, plan: RecoveryPlan) -> None:
    """Cancel the plan's open steps and scheduled check-ins, and its mood prompts."""
    # Notifications stops the mood prompts on the same discharge or erasure event.
    plan.mood_prompt_weekdays = plan.mood_prompt_local_time = None
    uow.session.execute(
        update(ActionStep)
        .where(ActionStep.plan_id == plan.id, ActionStep.status == "open")
        .values(status="cancelled", version=ActionStep.version + 1)
    )
    uow.session.execute(
        update(CheckIn)
        .where(CheckIn.plan_id == plan.id, CheckIn.status == "scheduled")
        .values(status="cancelled", version=CheckIn.version + 1)
    )
