"""Client rules: referral, changes, consent, discharge; each change is audited and emits
its event in the same transaction. Assessments, onboarding, erasure and who may see a
client have their own modules (``assessments``, ``onboarding``, ``erasure``,
``scoping``)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.intake import audit, consent, lifecycle, phone_confirmation
from services.intake.models import Client, Organisation, StaffMember
from services.intake.phones import normalise_phone
from shared.db import UnitOfWork
from shared.errors import Conflict, PreconditionFailed, Unprocessable
from shared.principals import Principal

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


def flush_client(uow: UnitOfWork) -> None:
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


def active_coach(uow: UnitOfWork, principal: Principal, coach_id: uuid.UUID) -> StaffMember:
    """An active member of the caller's organisation to coach a client; else a 422."""
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
    flush_client(uow)
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
        active_coach(uow, principal, changes["coach_id"])
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
    if "phone" in changed:
        phone_confirmation.phone_changed(client)
    consent.require_addresses(client)
    _require_unique_reference(uow, client)
    flush_client(uow)
    audit.record(uow, client, "updated", changed, principal.staff_id)
    publish_updated(uow, client, changed)
    return client


def change_consent(
    uow: UnitOfWork, principal: Principal, client: Client, channel: str, granted: bool, method: str
) -> Client:
    """A staff member records consent given or withdrawn on a form or verbally."""
    if consent.change(uow, client, channel, granted, method, recorded_by=principal.staff_id):
        consent.require_addresses(client)
        flush_client(uow)
        publish_updated(uow, client, ["consent"])
    return client


def discharge_client(uow: UnitOfWork, principal: Principal, client: Client, reason: str) -> Client:
    lifecycle.require_move(client.status, "discharged")
    client.status = "discharged"
    client.discharge_reason = reason
    client.discharged_at = uow.clock()
    flush_client(uow)
    audit.record(uow, client, "discharged", ["discharge_reason", "status"], principal.staff_id)
    uow.publish(
        "client.discharged",
        client.tenant_id,
        {"client_id": client.id, "reason": reason, "discharged_at": client.discharged_at},
        aggregate_id=client.id,
    )
    return client
