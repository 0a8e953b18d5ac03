"""Drafting a recovery plan from the initial assessment.

Every new client's plan is drafted here, often a hundred in one consumer batch, so the
plan and its goals are written as plain rows at commit (``UnitOfWork.insert_later``)
rather than as ORM objects, which cost most of an onboarding's time. Until then they are
"drafted" in the transaction: :func:`adopt_drafted` writes them and loads them as ORM
objects for a later event of the same batch that touches the client's plans.
"""

from __future__ import annotations

import dataclasses
import uuid

from services.plans.limits import GOALS_PER_PLAN
from services.plans.models import Goal, RecoveryPlan
from shared.db import UnitOfWork
from shared.events import Event
from shared.events.data import AssessmentSummary

PLANS = RecoveryPlan.__table__
GOALS = Goal.__table__


def measures_of(assessment: AssessmentSummary) -> dict | None:
    """K10 and WEMWBS of an assessment summary, when it carries any."""
    scored = {
        name: dataclasses.asdict(measure)
        for name in ("k10", "wemwbs")
        if (measure := getattr(assessment, name))
    }
    return scored or None


def _drafted(uow: UnitOfWork) -> dict[tuple, list[uuid.UUID]]:
    """Plans drafted in this transaction and not yet loaded, by (tenant, client)."""
    return uow.session.info.setdefault("drafted_plans", {})


def draft_plan_from_onboarding(event: Event, uow: UnitOfWork) -> uuid.UUID:
    """One proposed goal per aspiration (the first ``GOALS_PER_PLAN``: intake accepts
    more aspirations than a plan may have goals, and keeps them all in the assessment);
    the domain ratings become the plan's baseline. Returns the new plan's id."""
    data = event.data
    assessment = data.assessment
    tenant_id = event.tenant_id
    client_id = data.client_id  # as the handlers key a client's plans
    plan_id = uuid.uuid4()
    now = uow.clock()
    measures = measures_of(assessment)
    uow.insert_later(
        PLANS,
        {
            "id": plan_id,
            "tenant_id": tenant_id,
            "client_id": client_id,
            "coach_id": data.coach_id,
            "status": "draft",
            "timezone": data.timezone,
            "baseline_ratings": assessment.domain_ratings,
            "assessment_version": assessment.version,
            "latest_ratings": assessment.domain_ratings,
            "latest_assessment_version": assessment.version,
            "baseline_measures": measures,
            "latest_measures": measures,
            "risk_flagged": False,
            "version": 1,
            "source_event_id": event.id,
            "created_at": now,
            "updated_at": now,
        },
    )
    aspirations = assessment.aspirations[:GOALS_PER_PLAN]
    for position, aspiration in enumerate(aspirations, start=1):
        uow.insert_later(
            GOALS,
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "plan_id": plan_id,
                "position": position,
                "title": aspiration.text,
                "domain": aspiration.domain,
                "status": "proposed",
                "priority": "medium",
                "progress": 0,
                "version": 1,
                "created_at": now,
            },
        )
    _drafted(uow).setdefault((tenant_id, client_id), []).append(plan_id)
    uow.publish(
        "plan.created",
        tenant_id,
        {
            "plan_id": plan_id,
            "client_id": client_id,
            "coach_id": data.coach_id,
            "goal_count": len(aspirations),
        },
        aggregate_id=plan_id,
    )
    return plan_id


def adopt_drafted(uow: UnitOfWork, key: tuple, plans: list[RecoveryPlan]) -> None:
    """Add the client's plans drafted earlier in this transaction to ``plans``, as ORM
    objects (writing every drafted row first, so that they can be loaded and changed)."""
    drafted = _drafted(uow).pop(key, None)
    if not drafted:
        return
    uow.write_inserts()
    known = {plan.id for plan in plans}
    with uow.session.no_autoflush:
        plans.extend(
            uow.session.get(RecoveryPlan, plan_id) for plan_id in drafted if plan_id not in known
        )
