"""A client's life with the service, as intake announces it: referred, onboarded (a
welcome and the weekly digest), updated (recurring nudges follow a move of timezone),
discharged (pending nudges stop)."""

from __future__ import annotations

from services.notifications.contacts import cancel_pending, upsert_contact
from services.notifications.digest.recurring_nudges import (
    reschedule_pending_recurring,
    schedule_weekly_digest,
)
from services.notifications.nudges import contact_of, schedule_nudge
from shared.db import UnitOfWork
from shared.events import Event
from shared.events.data import (
    ClientDischargedV1,
    ClientOnboardedV1,
    ClientReferredV1,
    ClientUpdatedV1,
)


def on_client_referred(event: Event[ClientReferredV1], uow: UnitOfWork) -> None:
    upsert_contact(uow, event)


def on_client_onboarded(event: Event[ClientOnboardedV1], uow: UnitOfWork) -> None:
    now = uow.clock()
    contact = upsert_contact(uow, event)
    if contact.status == "discharged":
        contact.status = "active"  # onboarded again after a discharge
    # Keyed by the event: a redelivery sends nothing, a later re-onboarding welcomes again.
    schedule_nudge(uow, contact, "welcome", f"onboarding:{event.id}", now)
    schedule_weekly_digest(uow, contact, now)


def on_client_updated(event: Event[ClientUpdatedV1], uow: UnitOfWork) -> None:
    """Keep the contact right; a client who moved timezone has their digest and mood prompt
    moved too."""
    known = contact_of(uow, event)
    timezone = known.timezone if known is not None else None
    contact = upsert_contact(uow, event)
    if timezone is not None and contact.timezone != timezone:
        reschedule_pending_recurring(uow, contact, uow.clock())


def on_client_discharged(event: Event[ClientDischargedV1], uow: UnitOfWork) -> None:
    contact = contact_of(uow, event)
    if contact is not None and contact.status == "active":
        contact.status = "discharged"
    if contact is not None:
        # The plan closes with the discharge: its mood prompts do not outlive it, even if
        # the client is onboarded again later.
        contact.mood_prompt_weekdays = contact.mood_prompt_local_time = None
    cancel_pending(uow, event.tenant_id, event.data.client_id, "client_discharged")
