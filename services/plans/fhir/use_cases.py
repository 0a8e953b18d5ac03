"""The care record's use case: read what the export holds in the unit of work it owns
(see ``services.plans.use_cases``), closed before the Bundle is built."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from services.plans import scoping
from services.plans.fhir.care_record import COMMUNICATED_INTENTS, CareRecord, care_record_bundle
from services.plans.limits import CHECKINS_PER_PLAN
from services.plans.models import (
    ActionStep,
    CheckIn,
    ClientProfile,
    JournalEntry,
    OrganisationProfile,
    StaffMember,
)
from shared.db import UnitOfWork
from shared.errors import NotFound

if TYPE_CHECKING:
    from shared.principals import Principal

# The client's replies exported at most: the newest, one year of daily replies and more.
REPLIES_EXPORTED = 1000


def care_record(
    uow: UnitOfWork, principal: Principal, plan_id: uuid.UUID, *, communications: bool
) -> dict:
    """The plan's care record as a FHIR Bundle. ``communications``: with the client's
    journal and crisis words, which whoever may read the plan's journal may ask for (the
    client's coach, an org admin). An erased client's plan is not found."""
    with uow:
        session = uow.session
        plan = scoping.plan_for(session, principal, plan_id)
        if plan.erased_at is not None:
            raise NotFound("No such plan.")
        steps = session.scalars(
            select(ActionStep)
            .where(ActionStep.plan_id == plan.id)
            .order_by(ActionStep.created_at, ActionStep.id)
        ).all()
        checkins = session.scalars(
            select(CheckIn)
            .where(CheckIn.plan_id == plan.id, CheckIn.wellbeing.is_not(None))
            .order_by(CheckIn.starts_at, CheckIn.id)
            .limit(CHECKINS_PER_PLAN)
        ).all()
        wanted = ("mood", *COMMUNICATED_INTENTS) if communications else ("mood",)
        replies = session.scalars(
            select(JournalEntry)
            .where(
                JournalEntry.plan_id == plan.id,
                JournalEntry.tenant_id == plan.tenant_id,
                JournalEntry.intent.in_(wanted),
            )
            .order_by(JournalEntry.received_at.desc(), JournalEntry.id)
            .limit(REPLIES_EXPORTED)
        ).all()
        coach = session.get(StaffMember, plan.coach_id)
        organisation = session.get(OrganisationProfile, plan.tenant_id)
        record = CareRecord(
            plan=plan,
            goals=list(plan.goals),
            steps=list(steps),
            checkins=list(checkins),
            replies=sorted(replies, key=lambda r: (r.received_at, str(r.id))),
            profile=session.get(ClientProfile, (plan.tenant_id, plan.client_id)),
            coach_name=coach.name if coach and coach.tenant_id == plan.tenant_id else None,
            organisation_name=organisation.name if organisation else None,
            include_communications=communications,
        )
        return care_record_bundle(record, uow.clock())
