"""Scheduling nudges: one per (tenant, client, kind, occurrence), on a consented channel."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from services.notifications.contacts import upsert_contact
from services.notifications.models import Contact, Nudge
from shared.db import UnitOfWork, utcnow
from shared.events import Envelope

CHANNEL_ORDER = ("email", "sms")


def consented_channels(contact: Contact) -> list[str]:
    channels = []
    if contact.consent_email and contact.email:
        channels.append("email")
    if contact.consent_sms and contact.phone:
        channels.append("sms")
    return channels


def schedule_nudge(
    uow: UnitOfWork, contact: Contact, kind: str, occurrence_key: str, due_at: datetime
) -> Nudge:
    """Create the nudge unless it exists; without a consented channel it is suppressed."""
    existing = uow.session.scalar(
        select(Nudge).where(
            Nudge.tenant_id == contact.tenant_id,
            Nudge.client_id == contact.client_id,
            Nudge.kind == kind,
            Nudge.occurrence_key == occurrence_key,
        )
    )
    if existing is not None:
        return existing
    channels = consented_channels(contact)
    nudge = Nudge(
        id=uuid.uuid4(),
        tenant_id=contact.tenant_id,
        client_id=contact.client_id,
        kind=kind,
        occurrence_key=occurrence_key,
        channel=channels[0] if channels else None,
        state="scheduled" if channels else "suppressed",
        reason=None if channels else "no_consent",
        due_at=due_at,
    )
    uow.session.add(nudge)
    return nudge


def on_client_onboarded(envelope: Envelope, uow: UnitOfWork) -> None:
    contact = upsert_contact(uow, envelope)
    uow.session.flush()
    schedule_nudge(uow, contact, "welcome", f"onboarding:{envelope.id}", utcnow())
