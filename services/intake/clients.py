"""Client rules: referral, changes, assessment, onboarding, discharge; each change is
audited and emits its event in the same transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, Row, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.intake import audit, consent, lifecycle, measures
from services.intake.models import Assessment, Client, Organisation, StaffMember
from services.intake.phones import normalise_phone
from shared.auth import Principal
from shared.db import UnitOfWork, utcnow
from shared.errors import Conflict, NotFound, PreconditionFailed, Unprocessable

# Fields a PATCH may change; coach_id is checked against the organisation's staff.
EDITABLE = (
    "given_name",
    "family_name",
    "preferred_name",
    "email",
    "phone",
    "timezone",
    "locale",
    "preferred_channels",
    "external_reference",
    "referral_source",
    "coach_id",
)


def visible_to(principal: Principal):
    """Org admins see every client of their organisation; a coach sees the clients
    assigned to them or referred by them."""
    return _visibility(principal.tenant_id, principal.staff_id, admin=principal.role == "org_admin")


def _visibility(tenant_id, staff_id, *, admin: bool) -> list:
    condition = [Client.tenant_id == tenant_id, Client.erased_at.is_(None)]
    if not admin:
        condition.append(or_(Client.coach_id == staff_id, Client.referred_by == staff_id))
    return condition


def get_client(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID) -> Client:
    """A client the caller may see; anything else (another tenant's, another coach's,
    an erased one) does not exist."""
    client = uow.session.scalar(
        select(Client).where(Client.id == client_id, *visible_to(principal))
    )
    if client is None:
        raise NotFound("No such client.")
    return client


# The most frequent read of all, built once per scope (org admin or not) and run without
# the ORM: parameters are bound per call.
_VISIBLE_CLIENT = {
    admin: select(Client.__table__).where(
        Client.id == bindparam("client_id"),
        *_visibility(bindparam("tenant_id"), bindparam("staff_id"), admin=admin),
    )
    for admin in (True, False)
}


def read_client(connection: Connection, principal: Principal, client_id: uuid.UUID) -> Row:
    """What :func:`get_client` finds, as a row for reading only (``GET`` a client)."""
    client = connection.execute(
        _VISIBLE_CLIENT[principal.role == "org_admin"],
        {"client_id": client_id, "tenant_id": principal.tenant_id, "staff_id": principal.staff_id},
    ).one_or_none()
    if client is None:
        raise NotFound("No such client.")
    return client


def get_any_client(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID) -> Client:
    """A client of the caller's organisation, erased tombstones included (for admins)."""
    client = uow.session.scalar(
        select(Client).where(Client.id == client_id, Client.tenant_id == principal.tenant_id)
    )
    if client is None:
        raise NotFound("No such client.")
    return client


def list_query(principal: Principal, filters: dict):
    stmt = select(Client).where(*visible_to(principal))
    if filters.get("status"):
        stmt = stmt.where(Client.status == filters["status"])
    if filters.get("coach_id"):
        stmt = stmt.where(Client.coach_id == filters["coach_id"])
    if filters.get("updated_since"):
        stmt = stmt.where(Client.updated_at >= filters["updated_since"])
    return stmt


def participant_of(client: Client) -> dict:
    """What plans' review report names the participant by, beyond the contact."""
    return {"family_name": client.family_name, "external_reference": client.external_reference}


def contact_of(client: Client) -> dict:
    return {
        "given_name": client.given_name,
        "preferred_name": client.preferred_name,
        "email": client.email,
        "phone": client.phone,
        "timezone": client.timezone,
        "locale": client.locale,
        "consent": consent.current(client),
        "preferred_channels": list(client.preferred_channels or []),
    }


def _region(uow: UnitOfWork, tenant_id: uuid.UUID) -> str:
    return uow.session.get(Organisation, tenant_id).default_region


def _normalise(uow: UnitOfWork, tenant_id: uuid.UUID, fields: dict) -> dict:
    if fields.get("phone"):
        fields["phone"] = normalise_phone(fields["phone"], _region(uow, tenant_id))
    if fields.get("email"):
        fields["email"] = fields["email"].strip()
    return fields


def _require_unique_reference(uow: UnitOfWork, client: Client) -> None:
    if not client.external_reference:
        return
    with uow.session.no_autoflush:  # the pending row would clash with itself
        clash = uow.session.scalar(
            select(Client.id).where(
                Client.tenant_id == client.tenant_id,
                Client.external_reference == client.external_reference,
                Client.id != client.id,
            )
        )
    if clash is not None:
        raise _reference_taken()


def _reference_taken() -> Conflict:
    return Conflict(
        "Another client of your organisation has this external reference.",
        errors={"external_reference": ["Already used by another client."]},
    )


def _flush(uow: UnitOfWork) -> None:
    """Flush, turning a lost race into the answer the client would have had."""
    try:
        uow.session.flush()
    except StaleDataError as exc:
        raise PreconditionFailed(
            "The client changed while you were writing; fetch it again and retry."
        ) from exc
    except IntegrityError as exc:
        if "external_reference" in str(exc.orig):
            raise _reference_taken() from exc
        raise


def _coach(uow: UnitOfWork, principal: Principal, coach_id: uuid.UUID) -> StaffMember:
    coach = uow.session.scalar(
        select(StaffMember).where(
            StaffMember.id == coach_id,
            StaffMember.tenant_id == principal.tenant_id,
            StaffMember.active.is_(True),
        )
    )
    if coach is None:
        raise Unprocessable(
            "No such coach in your organisation.", errors={"coach_id": ["No such staff member."]}
        )
    return coach


def publish_updated(uow: UnitOfWork, client: Client, changed: list[str]) -> None:
    uow.publish(
        "client.updated",
        client.tenant_id,
        {
            "client_id": client.id,
            "changed": sorted(changed),
            "coach_id": client.coach_id,
            "referred_by": client.referred_by,
            "contact": contact_of(client),
        }
        | participant_of(client),
        aggregate_id=client.id,
    )


def refer_client(uow: UnitOfWork, principal: Principal, fields: dict) -> Client:
    granted = fields.pop("consent")
    client = Client(
        id=uuid.uuid4(),
        tenant_id=principal.tenant_id,
        referred_by=principal.staff_id,
        status="referred",
        **_normalise(uow, principal.tenant_id, fields),
    )
    client.consent_email = client.consent_sms = False
    uow.session.add(client)
    for channel in ("email", "sms"):
        if granted[channel]:
            consent.change(uow, client, channel, True, "form", recorded_by=principal.staff_id)
    consent.require_addresses(client)
    _require_unique_reference(uow, client)
    _flush(uow)
    audit.record(
        uow,
        client,
        "referred",
        [name for name, value in fields.items() if value not in (None, [], "")],
        principal.staff_id,
    )
    uow.publish(
        "client.referred",
        client.tenant_id,
        {"client_id": client.id, "referred_by": client.referred_by, "contact": contact_of(client)},
        aggregate_id=client.id,
    )
    return client


def update_client(uow: UnitOfWork, principal: Principal, client: Client, changes: dict) -> Client:
    """Apply a PATCH; emits ``client.updated`` naming the changed fields (not values)."""
    if client.status == "discharged":
        raise Conflict("A discharged client cannot be changed.")
    changes = _normalise(uow, client.tenant_id, dict(changes))
    if changes.get("coach_id") is not None:
        _coach(uow, principal, changes["coach_id"])
    elif "coach_id" in changes and client.status == "onboarded":
        raise Unprocessable(
            "An onboarded client needs a coach.", errors={"coach_id": ["Name another coach."]}
        )
    changed = [
        name for name in EDITABLE if name in changes and getattr(client, name) != changes[name]
    ]
    if not changed:
        return client
    for name in changed:
        setattr(client, name, changes[name])
    consent.require_addresses(client)
    _require_unique_reference(uow, client)
    _flush(uow)
    audit.record(uow, client, "updated", changed, principal.staff_id)
    publish_updated(uow, client, changed)
    return client


def change_consent(
    uow: UnitOfWork, principal: Principal, client: Client, channel: str, granted: bool, method: str
) -> Client:
    """A staff member records consent given or withdrawn on a form or verbally."""
    if consent.change(uow, client, channel, granted, method, recorded_by=principal.staff_id):
        consent.require_addresses(client)
        _flush(uow)
        publish_updated(uow, client, ["consent"])
    return client


# -- assessment -----------------------------------------------------------------------------


def latest_assessment(uow: UnitOfWork, client: Client) -> Assessment | None:
    return uow.session.scalar(
        select(Assessment)
        .where(Assessment.client_id == client.id, Assessment.tenant_id == client.tenant_id)
        .order_by(Assessment.version.desc())
        .limit(1)
    )


def assessment_history(uow: UnitOfWork, client: Client) -> list[Assessment]:
    return list(
        uow.session.scalars(
            select(Assessment)
            .where(Assessment.client_id == client.id, Assessment.tenant_id == client.tenant_id)
            .order_by(Assessment.version.desc())
        )
    )


def _scored(answers: dict) -> dict:
    """Replace the raw K10 / WEMWBS items with the items and the service's own scores."""
    k10, wemwbs = answers.pop("k10", None), answers.pop("wemwbs", None)
    if k10 is not None:
        score = measures.score_k10(k10["items"])
        answers |= {"k10_items": k10["items"], "k10_total": score.total, "k10_band": score.band}
    if wemwbs is not None:
        answers |= {
            "wemwbs_items": wemwbs["items"],
            "wemwbs_total": measures.score_wemwbs(wemwbs["items"]),
        }
    return answers


def record_assessment(
    uow: UnitOfWork, principal: Principal, client: Client, answers: dict
) -> Assessment:
    if client.status == "discharged":
        raise Conflict(
            "A discharged client cannot be assessed.",
            errors={"status": ["Cannot assess a discharged client."]},
        )
    version = (
        uow.session.scalar(
            select(func.max(Assessment.version)).where(Assessment.client_id == client.id)
        )
        or 0
    ) + 1
    assessment = Assessment(
        id=uuid.uuid4(),
        tenant_id=client.tenant_id,
        client_id=client.id,
        version=version,
        assessed_by=principal.staff_id,
        **_scored(dict(answers)),
    )
    uow.session.add(assessment)
    if client.status == "referred":
        lifecycle.require_move(client.status, "assessed")
        client.status = "assessed"
    _flush(uow)
    audit.record(uow, client, "assessed", sorted(answers), principal.staff_id)
    return assessment


def assessment_summary(assessment: Assessment) -> dict:
    return {
        "version": assessment.version,
        "domain_ratings": assessment.domain_ratings,
        "strengths": assessment.strengths,
        "challenges": assessment.challenges,
        "aspirations": assessment.aspirations,
        "k10": _k10_summary(assessment),
        "wemwbs": _wemwbs_summary(assessment),
    }


def _k10_summary(assessment: Assessment) -> dict | None:
    if assessment.k10_total is None:
        return None
    return {"total": assessment.k10_total, "band": assessment.k10_band}


def _wemwbs_summary(assessment: Assessment) -> dict | None:
    if assessment.wemwbs_total is None:
        return None
    total = assessment.wemwbs_total
    return {"total": total, "band": measures.wemwbs_band(total)}


# -- onboarding and discharge ---------------------------------------------------------------


def onboard_client(
    uow: UnitOfWork, principal: Principal, client: Client, coach_id: uuid.UUID
) -> Client:
    if client.status == "referred":
        raise Conflict(
            "The client needs an assessment before onboarding.",
            errors={"status": ["Assess the client first."]},
        )
    lifecycle.require_move(client.status, "onboarded")
    coach = _coach(uow, principal, coach_id)
    assessment = latest_assessment(uow, client)
    client.status = "onboarded"
    client.coach_id = coach.id
    _flush(uow)
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
        }
        | participant_of(client),
        aggregate_id=client.id,
    )
    return client


def discharge_client(uow: UnitOfWork, principal: Principal, client: Client, reason: str) -> Client:
    lifecycle.require_move(client.status, "discharged")
    client.status = "discharged"
    client.discharge_reason = reason
    client.discharged_at = utcnow()
    _flush(uow)
    audit.record(uow, client, "discharged", ["discharge_reason", "status"], principal.staff_id)
    uow.publish(
        "client.discharged",
        client.tenant_id,
        {"client_id": client.id, "reason": reason, "discharged_at": client.discharged_at},
        aggregate_id=client.id,
    )
    return client
