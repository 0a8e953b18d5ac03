"""Scheduling a nudge: one per (tenant, client, kind, occurrence).

The events that call for nudges are in ``client_lifecycle``, ``plan_nudges``,
``recurring_nudges`` and ``coach_alerts``. The rules (consent, suppression, pause, quiet
hours, cap, expiry) are applied when a nudge falls due, by the dispatcher, so that they use
the facts of that moment.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from services.notifications.dispatcher.rules import address_of, channel_order
from services.notifications.models import Contact, Nudge
from services.notifications.wording.kinds import KINDS
from shared.db import UnitOfWork
from shared.events import Event


def schedule_nudge(
    uow: UnitOfWork,
    contact: Contact,
    kind: str,
    occurrence_key: str,
    due_at: datetime,
    *,
    variables: dict | None = None,
    subject_id: uuid.UUID | None = None,
    subject_occurrence: str | None = None,
    event_at: datetime | None = None,
    staff_id: uuid.UUID | None = None,
    channel: str | None = None,
) -> Nudge | None:
    """Create the nudge unless it exists. None for a client who is no longer with us."""
    spec = KINDS[kind]
    if contact.status != "active" and not (spec.is_reply or spec.is_answer):
        return None
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
    if channel is None and spec.audience == "client":
        consented = [c for c in channel_order(contact, spec.channels) if address_of(contact, c)]
        channel = consented[0] if consented else None
    elif spec.audience == "coach" and channel is None:
        channel = "email"
    nudge = Nudge(
        id=uuid.uuid4(),
        tenant_id=contact.tenant_id,
        client_id=contact.client_id,
        kind=kind,
        occurrence_key=occurrence_key,
        audience=spec.audience,
        staff_id=staff_id,
        subject_id=subject_id,
        subject_occurrence=subject_occurrence,
        event_at=event_at,
        priority=spec.priority,
        variables=variables or {},
        channel=channel,
        state="scheduled",
        due_at=due_at,
        attempts=0,
    )
    uow.session.add(nudge)
    uow.session.flush()
    return nudge


def contact_of(uow: UnitOfWork, event: Event) -> Contact | None:
    """The contact of the client an event is about, if intake has told us of them."""
    return uow.session.get(Contact, (event.tenant_id, event.data.client_id))
