"""Intake's use cases: what one API request does, in the unit of work it owns.

Each takes the unit of work (new, not yet open: the web layer supplies it, see
``shared.use_case``), the caller and the request's parsed inputs; it opens the unit of
work, finds what the caller may touch (``scoping``), calls the domain, commits (the
outbox publishes with the commit) and returns what the view renders. An error on the way
leaves with nothing written. No web code here: an ``If-Match`` comes in as its value.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from services.intake import (
    assessments,
    audit,
    clients,
    consent,
    erasure,
    onboarding,
    scoping,
)
from services.intake import staff as staffing
from services.intake.models import Client, ClientAuditEntry, StaffMember
from shared.db import UnitOfWork
from shared.pagination import paginate
from shared.preconditions import check_if_match, etag_of

if TYPE_CHECKING:
    from shared.principals import Principal

# -- organisations and tokens ---------------------------------------------------------------


def create_organisation(uow: UnitOfWork, name: str, default_region: str, admin: dict) -> dict:
    """A tenant and its first admin, with the admin's API key (shown once)."""
    with uow:
        organisation, first_admin, api_key = staffing.create_organisation(
            uow, name, default_region, admin
        )
        uow.commit()
    return {"organisation": organisation, "admin": first_admin, "api_key": api_key}


def principal_for_api_key(uow: UnitOfWork, api_key: str) -> Principal:
    """Whom an API key speaks for (401 for a wrong, revoked or inactive one)."""
    with uow:
        return staffing.principal_for_api_key(uow.session, api_key)


# -- staff and API keys ---------------------------------------------------------------------


def create_staff(uow: UnitOfWork, principal: Principal, fields: dict) -> tuple[StaffMember, str]:
    with uow:
        staff, api_key = staffing.create_staff(uow, principal, fields)
        uow.commit()
    return staff, api_key


def list_staff(uow: UnitOfWork, principal: Principal, query: dict) -> dict:
    stmt = select(StaffMember).where(StaffMember.tenant_id == principal.tenant_id)
    if "role" in query:
        stmt = stmt.where(StaffMember.role == query["role"])
    if "active" in query:
        stmt = stmt.where(StaffMember.active.is_(query["active"]))
    with uow:
        return paginate(uow.session, stmt, StaffMember, query)


def get_staff(uow: UnitOfWork, principal: Principal, staff_id: uuid.UUID) -> StaffMember:
    with uow:
        return staffing.get_staff(uow.session, principal, staff_id)


def update_staff(
    uow: UnitOfWork, principal: Principal, staff_id: uuid.UUID, changes: dict
) -> StaffMember:
    with uow:
        staff = staffing.get_staff(uow.session, principal, staff_id)
        staffing.update_staff(uow, principal, staff, changes)
        uow.commit()
    return staff


def keys_of(uow: UnitOfWork, principal: Principal, staff_id: uuid.UUID) -> list:
    with uow:
        staff = staffing.get_staff(uow.session, principal, staff_id)
        return staffing.keys_of(uow.session, staff)


def issue_key(uow: UnitOfWork, principal: Principal, staff_id: uuid.UUID) -> tuple:
    with uow:
        staff = staffing.get_staff(uow.session, principal, staff_id)
        key, api_key = staffing.new_api_key(uow.session, staff)
        uow.commit()
    return key, api_key


def revoke_key(
    uow: UnitOfWork, principal: Principal, staff_id: uuid.UUID, key_id: uuid.UUID
) -> None:
    with uow:
        staff = staffing.get_staff(uow.session, principal, staff_id)
        staffing.revoke_key(uow, staff, staffing.get_key(uow.session, staff, key_id))
        uow.commit()


def rotate_key(
    uow: UnitOfWork, principal: Principal, staff_id: uuid.UUID, key_id: uuid.UUID
) -> tuple:
    with uow:
        staff = staffing.get_staff(uow.session, principal, staff_id)
        old = staffing.get_key(uow.session, staff, key_id)
        key, api_key = staffing.rotate_key(uow, staff, old)
        uow.commit()
    return key, api_key


# -- clients --------------------------------------------------------------------------------


def refer_client(uow: UnitOfWork, principal: Principal, fields: dict) -> Client:
    with uow:
        client = clients.refer_client(uow, principal, fields)
        uow.commit()
    return client


def list_clients(uow: UnitOfWork, principal: Principal, query: dict) -> dict:
    with uow:
        return paginate(uow.session, scoping.list_query(principal, query), Client, query)


def update_client(
    uow: UnitOfWork,
    principal: Principal,
    client_id: uuid.UUID,
    changes: dict,
    *,
    if_match: str | None,
) -> Client:
    with uow:
        client = scoping.client_for(uow.session, principal, client_id)
        check_if_match(if_match, etag_of(client.id, client.version))
        clients.update_client(uow, principal, client, changes)
        uow.commit()
    return client


def erase_client(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID) -> None:
    with uow:
        client = scoping.client_for(uow.session, principal, client_id)
        erasure.erase_client(uow, principal, client)
        uow.commit()


def audit_trail(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID, query: dict) -> dict:
    with uow:
        client = scoping.any_client_for(uow.session, principal, client_id)
        return paginate(uow.session, audit.trail_query(client), ClientAuditEntry, query)


def _consent_state(uow: UnitOfWork, client: Client) -> dict:
    return {"current": consent.current(client), "records": consent.history(uow, client)}


def consent_state(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID) -> dict:
    with uow:
        return _consent_state(uow, scoping.client_for(uow.session, principal, client_id))


def change_consent(
    uow: UnitOfWork,
    principal: Principal,
    client_id: uuid.UUID,
    channel: str,
    granted: bool,
    method: str,
) -> dict:
    with uow:
        client = scoping.client_for(uow.session, principal, client_id)
        clients.change_consent(uow, principal, client, channel, granted, method)
        uow.commit()
        return _consent_state(uow, client)


def record_assessment(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID, answers: dict):
    with uow:
        client = scoping.client_for(uow.session, principal, client_id)
        assessment = assessments.record_assessment(uow, principal, client, answers)
        uow.commit()
    return assessment


def assessment_history(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID) -> list:
    with uow:
        client = scoping.client_for(uow.session, principal, client_id)
        return assessments.assessment_history(uow, client)


def onboard(
    uow: UnitOfWork, principal: Principal, client_id: uuid.UUID, coach_id: uuid.UUID
) -> Client:
    with uow:
        client = scoping.client_for(uow.session, principal, client_id)
        onboarding.onboard_client(uow, principal, client, coach_id)
        uow.commit()
    return client


def discharge(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID, reason: str) -> Client:
    with uow:
        client = scoping.client_for(uow.session, principal, client_id)
        clients.discharge_client(uow, principal, client, reason)
        uow.commit()
    return client
