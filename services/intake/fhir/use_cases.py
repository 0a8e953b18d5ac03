"""The intake record's use case: read it in the unit of work it owns (see
``services.intake.use_cases``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from services.intake import assessments, consent, scoping
from services.intake.fhir.client_record import ClientRecord, client_record_bundle
from services.intake.models import Organisation, StaffMember
from shared.db import UnitOfWork

if TYPE_CHECKING:
    from shared.principals import Principal

# Assessments exported at most, the newest: years of quarterly reviews.
ASSESSMENTS_EXPORTED = 100


def client_record(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID) -> dict:
    """The client's record as a FHIR Bundle (an erased client is not found)."""
    with uow:
        client = scoping.client_for(uow.session, principal, client_id)
        measured = [
            a
            for a in assessments.assessment_history(uow, client)[:ASSESSMENTS_EXPORTED]
            if a.k10_total is not None or a.wemwbs_total is not None
        ]
        records = consent.history(uow, client)
        named = {client.coach_id, *(a.assessed_by for a in measured)}
        named |= {r.recorded_by for r in records}
        named.discard(None)
        staff = uow.session.scalars(
            select(StaffMember).where(
                StaffMember.tenant_id == client.tenant_id, StaffMember.id.in_(named)
            )
        ).all()
        record = ClientRecord(
            client=client,
            organisation=uow.session.get(Organisation, client.tenant_id),
            staff=sorted(staff, key=lambda s: (s.name, str(s.id))),
            consent_records=records,
            assessments=sorted(measured, key=lambda a: a.version),
        )
        return client_record_bundle(record, uow.clock())
