"""Drafting a recovery plan from the initial assessment."""

from __future__ import annotations

import uuid

from services.plans.models import Goal, RecoveryPlan
from shared.db import UnitOfWork
from shared.events import Envelope


def measures_of(assessment: dict) -> dict | None:
    """K10 and WEMWBS of an assessment summary, when it carries any."""
    scored = {name: assessment[name] for name in ("k10", "wemwbs") if assessment.get(name)}
    return scored or None


def draft_plan_from_onboarding(envelope: Envelope, uow: UnitOfWork) -> RecoveryPlan:
    """One proposed goal per aspiration; the domain ratings become the plan's baseline."""
    data = envelope.data
    assessment = data["assessment"]
    plan = RecoveryPlan(
        id=uuid.uuid4(),
        tenant_id=envelope.tenant_id,
        client_id=data["client_id"],
        coach_id=data["coach_id"],
        status="draft",
        timezone=data["timezone"],
        baseline_ratings=assessment["domain_ratings"],
        assessment_version=assessment["version"],
        latest_ratings=assessment["domain_ratings"],
        latest_assessment_version=assessment["version"],
        baseline_measures=measures_of(assessment),
        latest_measures=measures_of(assessment),
        source_event_id=envelope.id,
    )
    plan.goals = [
        Goal(
            id=uuid.uuid4(),
            tenant_id=envelope.tenant_id,
            position=position,
            title=aspiration["text"],
            domain=aspiration["domain"],
            status="proposed",
            priority="medium",
            progress=0,
        )
        for position, aspiration in enumerate(assessment["aspirations"], start=1)
    ]
    uow.session.add(plan)
    uow.publish(
        "plan.created",
        plan.tenant_id,
        {
            "plan_id": plan.id,
            "client_id": plan.client_id,
            "coach_id": plan.coach_id,
            "goal_count": len(plan.goals),
        },
        aggregate_id=plan.id,
    )
    return plan
