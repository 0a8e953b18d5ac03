"""The contact and staff projections, kept right from intake's events."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update

from services.notifications import plan_projection
from services.notifications.channels.file_outbox import forget_client
from services.notifications.models import (
    Contact,
    Nudge,
    Organisation,
    Outbox,
    StaffAccess,
    StaffMember,
)
from shared.db import UnitOfWork
from shared.db.staff_access import record_access_change
from shared.events import Envelope

PENDING_STATES = ("scheduled", "deferred")
ERASED_NAME = "[erased]"
DEFAULT_CHANNEL = "email"


def upsert_contact(uow: UnitOfWork, envelope: Envelope) -> Contact:
    data = envelope.data
    contact = uow.session.get(Contact, (envelope.tenant_id, data["client_id"]))
    if contact is None:
        contact = Contact(tenant_id=envelope.tenant_id, client_id=data["client_id"])
        uow.session.add(contact)
    if contact.status == "erased":
        return contact  # a late event must not bring erased data back
    details = data["contact"]
    contact.given_name = details["given_name"]
    contact.preferred_name = details["preferred_name"]
    contact.email = details["email"]
    contact.phone = details["phone"]
    contact.timezone = data.get("timezone") or details["timezone"]
    contact.locale = details["locale"]
    contact.consent_email = details["consent"]["email"]
    contact.consent_sms = details["consent"]["sms"]
    if envelope.type == "client.updated":
        # Intake names the current coach, or none: a reassigned client leaves the old
        # coach's sight at once.
        contact.coach_id = data["coach_id"]
    elif data.get("coach_id"):
        contact.coach_id = data["coach_id"]
    if data.get("referred_by"):
        contact.referred_by = data["referred_by"]
    project_preferred_channels(contact, details.get("preferred_channels"))
    uow.session.flush()
    return contact


def project_preferred_channels(contact: Contact, channels: list[str] | None) -> None:
    """Follow intake's preferred channels when they change; otherwise keep ours.

    The first channel intake names becomes the preferred channel. A later change through
    the preferences API wins until intake's list changes again (a redelivered or
    unrelated event repeats the same list and so changes nothing). An event from before
    intake sent the list (None) says nothing; a list emptied in intake restores the
    default.
    """
    if channels is None or channels == contact.intake_preferred_channels:
        return
    previous = contact.intake_preferred_channels
    contact.intake_preferred_channels = list(channels)
    if channels:
        contact.preferred_channel = channels[0]
    elif previous:
        contact.preferred_channel = DEFAULT_CHANNEL


def on_client_referred(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    upsert_contact(uow, envelope)


def cancel_pending(uow: UnitOfWork, tenant_id, client_id, reason: str, *conditions) -> int:
    result = uow.session.execute(
        update(Nudge)
        .where(
            Nudge.tenant_id == tenant_id,
            Nudge.client_id == client_id,
            Nudge.state.in_(PENDING_STATES),
            *conditions,
        )
        .values(state="cancelled", reason=reason, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def on_client_discharged(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    contact = uow.session.get(Contact, (envelope.tenant_id, envelope.data["client_id"]))
    if contact is not None and contact.status == "active":
        contact.status = "discharged"
    if contact is not None:
        # The plan closes with the discharge: its mood prompts do not outlive it, even if
        # the client is onboarded again later.
        contact.mood_prompt_weekdays = contact.mood_prompt_local_time = None
    cancel_pending(uow, envelope.tenant_id, envelope.data["client_id"], "client_discharged")


def on_client_erased(
    envelope: Envelope, uow: UnitOfWork, now: datetime, *, local_outbox: Path | None = None
) -> None:
    """Remove the client's personal data and every message body; keep bare nudge states.
    Messages the embedded channels wrote to ``local_outbox`` go too."""
    tenant_id, client_id = envelope.tenant_id, envelope.data["client_id"]
    contact = uow.session.get(Contact, (tenant_id, client_id))
    if contact is None:
        contact = Contact(tenant_id=tenant_id, client_id=client_id, timezone="UTC")
        uow.session.add(contact)
    contact.status = "erased"
    contact.given_name = ERASED_NAME
    contact.preferred_name = None
    contact.email = None
    contact.phone = None
    contact.consent_email = contact.consent_sms = False
    cancel_pending(uow, tenant_id, client_id, "client_erased")
    plan_projection.forget_client(uow.session, tenant_id, client_id)
    uow.session.execute(
        update(Nudge)
        .where(Nudge.tenant_id == tenant_id, Nudge.client_id == client_id)
        .values(body=None, variables=None)
        .execution_options(synchronize_session=False)
    )
    _erase_reply_texts(uow, client_id)
    if local_outbox is not None:
        # Before the commit: should the commit fail, the retried event deletes nothing
        # more, and the files are gone either way, as the erasure means them to be.
        forget_client(local_outbox, client_id)
    uow.wipe_write_ahead_log_after_commit()


def _erase_reply_texts(uow: UnitOfWork, client_id) -> None:
    """What the client wrote (``client.replied`` text) goes from the outbox, published or
    not; the events themselves stay, so plans still learns of a reply it has not seen."""
    rows = uow.session.scalars(
        select(Outbox).where(
            Outbox.aggregate_id == str(client_id), Outbox.routing_key == "client.replied"
        )
    )
    for row in rows:
        envelope = json.loads(row.body)
        if envelope["data"].get("text") is not None:
            envelope["data"]["text"] = None
            row.body = json.dumps(envelope).encode()


def on_staff_changed(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    data = envelope.data
    staff = uow.session.get(StaffMember, (envelope.tenant_id, data["staff_id"]))
    if staff is None:
        staff = StaffMember(tenant_id=envelope.tenant_id, staff_id=data["staff_id"])
        uow.session.add(staff)
    staff.name = data["name"]
    staff.email = data["email"]
    staff.phone = data["phone"]
    staff.role = data["role"]
    staff.active = data["active"]
    if data.get("organisation_name"):
        organisation = organisation_of(uow.session, envelope.tenant_id, create=True)
        organisation.name = data["organisation_name"]


def on_staff_access_changed(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    """A key revoked, a member deactivated or given another role: their tokens follow."""
    record_access_change(uow.session, StaffAccess, envelope)


def organisation_of(session, tenant_id, *, create: bool = False) -> Organisation | None:
    organisation = session.get(Organisation, tenant_id)
    if organisation is None and create:
        organisation = Organisation(tenant_id=tenant_id)
        session.add(organisation)
    return organisation


def contacts_with_phone(session, phone: str, *, lock: bool = False) -> list[Contact]:
    """Every client record with that number, in every organisation; ``lock`` holds them
    (on PostgreSQL) so that two keywords from one number are applied one after the other."""
    stmt = select(Contact).where(Contact.phone == phone).order_by(Contact.tenant_id)
    if lock:
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))
