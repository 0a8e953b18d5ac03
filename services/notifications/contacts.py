"""The contact projection, kept right from intake's events."""

from __future__ import annotations

from services.notifications.models import Contact
from shared.db import UnitOfWork
from shared.events import Envelope


def upsert_contact(uow: UnitOfWork, envelope: Envelope) -> Contact:
    data = envelope.data
    contact = uow.session.get(Contact, (envelope.tenant_id, data["client_id"]))
    if contact is None:
        contact = Contact(tenant_id=envelope.tenant_id, client_id=data["client_id"])
        uow.session.add(contact)
    details = data["contact"]
    contact.given_name = details["given_name"]
    contact.preferred_name = details["preferred_name"]
    contact.email = details["email"]
    contact.phone = details["phone"]
    contact.timezone = details["timezone"]
    contact.locale = details["locale"]
    contact.consent_email = details["consent"]["email"]
    contact.consent_sms = details["consent"]["sms"]
    if "coach_id" in data:
        contact.coach_id = data["coach_id"]
    return contact


def on_client_referred(envelope: Envelope, uow: UnitOfWork) -> None:
    upsert_contact(uow, envelope)
