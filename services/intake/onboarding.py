"""Onboarding: an assessed client gets a coach; ``client.onboarded`` tells plans (which
drafts the plan from the latest assessment) and notifications (which welcomes them)."""

from __future__ import annotations

import uuid

from services.intake import audit, lifecycle
from services.intake.assessments import assessment_summary, latest_assessment
from services.intake.clients import active_coach, contact_of, flush_client, participant_of
from services.intake.models import Client
from shared.db import UnitOfWork
from shared.errors import Conflict
from shared.principals import Principal


def onboard_client(
    uow: UnitOfWork, principal: Principal, client: Client, coach_id: uuid.UUID
) -> Client:
    if client.status == "referred":
        raise Conflict(
            "The client needs an assessment before onboarding.",
            errors={"status": ["Assess the client first."]},
        )
    lifecycle.require_move(client.status, "onboarded")
    coach = active_coach(uow, principal, coach_id)
    assessment = latest_assessment(uow, client)
    client.status = "onboarded"
    client.coach_id = coach.id
    flush_client(uow)
    audit.record(uow, client, "onboarded", ["coach_id", "status"], principal.staff_id)
    uow.publish(
        "client.onboarded",
        client.tenant_id,
        {
            "client_id": client.id,
            "coach_id": coach.id,
            "timezone": client.timezone,
            "contact": contact_of(client),
            "assessment": assessment_summary(assessment),
            "referred_by": client.referred_by,
            # plans' caseload starts here, and may have missed an earlier confirmation
            "phone_confirmed_at": client.phone_confirmed_at,
        }
        | participant_of(client),
        aggregate_id=client.id,
    )
    return client
