"""The contact and staff projections, kept right from intake's events."""

from __future__ import annotations

from sqlalchemy import update

from services.notifications.models import (
    Contact,
    Nudge,
    Organisation,
    StaffAccess,
    StaffMember,
)
from services.notifications.replies.routing import phone_changed
from services.notifications.wording.locales import shipped_locale
from shared.db import UnitOfWork
from shared.db.staff_access import record_access_change
from shared.events import Event
from shared.events.data import ABSENT, StaffAccessChangedV1, StaffV1

PENDING_STATES = ("scheduled", "deferred")
DEFAULT_CHANNEL = "email"


def upsert_contact(uow: UnitOfWork, event: Event) -> Contact:
    data = event.data
    contact = uow.session.get(Contact, (event.tenant_id, data.client_id))
    if contact is None:
        contact = Contact(tenant_id=event.tenant_id, client_id=data.client_id)
        uow.session.add(contact)
    if contact.status == "erased":
        return contact  # a late event must not bring erased data back
    details = data.contact
    phone_changed(contact, details.phone)
    contact.given_name = details.given_name
    contact.preferred_name = details.preferred_name
    contact.email = details.email
    contact.phone = details.phone
    # Only ``client.onboarded`` names the client's own timezone beside the contact's.
    contact.timezone = getattr(data, "timezone", None) or details.timezone
    contact.locale = details.locale
    contact.consent_email = details.consent.email
    contact.consent_sms = details.consent.sms
    if event.type == "client.updated":
        # Intake names the current coach, or none: a reassigned client leaves the old
        # coach's sight at once.
        contact.coach_id = data.coach_id
    elif getattr(data, "coach_id", None):  # client.referred has none
        contact.coach_id = data.coach_id
    if data.referred_by:
        contact.referred_by = data.referred_by
    # Newer producers only (and not client.referred): an older event keeps what we knew.
    if getattr(data, "family_name", ABSENT) is not ABSENT:
        contact.family_name = data.family_name
    project_preferred_channels(contact, details.preferred_channels)
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


def on_staff_changed(event: Event[StaffV1], uow: UnitOfWork) -> None:
    data = event.data
    staff = uow.session.get(StaffMember, (event.tenant_id, data.staff_id))
    if staff is None:
        staff = StaffMember(tenant_id=event.tenant_id, staff_id=data.staff_id)
        uow.session.add(staff)
    staff.name = data.name
    staff.email = data.email
    staff.phone = data.phone
    staff.role = data.role
    staff.active = data.active
    if data.organisation_name:
        organisation = organisation_of(uow.session, event.tenant_id, create=True)
        organisation.name = data.organisation_name


def on_staff_access_changed(event: Event[StaffAccessChangedV1], uow: UnitOfWork) -> None:
    """A key revoked, a member deactivated or given another role: their tokens follow."""
    record_access_change(uow.session, StaffAccess, event)


def language_of(session, contact: Contact) -> str:
    """The shipped language the platform's own words go in for a client (``locales``):
    their locale, its base language, their organisation's default, English."""
    organisation = session.get(Organisation, contact.tenant_id)
    return shipped_locale(contact.locale, organisation.default_locale if organisation else None)


def organisation_of(session, tenant_id, *, create: bool = False) -> Organisation | None:
    organisation = session.get(Organisation, tenant_id)
    if organisation is None and create:
        organisation = Organisation(tenant_id=tenant_id)
        session.add(organisation)
    return organisation
