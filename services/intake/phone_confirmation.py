"""Whether the person with a client's phone has confirmed that the record is theirs.

Notifications files a person's texts under a client record only once they have
confirmed, by replying, that it is theirs, and says so with ``contact.phone_confirmed``
(``confirmed`` false: they confirmed another record for that number). The client record
keeps it for the coach; a confirmation of a number the client no longer has, or older
than one applied already, changes nothing; a new phone is unconfirmed until its own
confirmation comes.
"""

from __future__ import annotations

from services.intake import audit
from services.intake.models import Client
from services.intake.scoping import client_of_event
from shared.db import UnitOfWork
from shared.events import Event
from shared.events.data import PhoneConfirmedV1
from shared.events.payloads import phone_confirmation_applies, phone_hash


def on_phone_confirmed(event: Event[PhoneConfirmedV1], uow: UnitOfWork) -> None:
    """``contact.phone_confirmed``: the client record shows whether its phone is confirmed."""
    data = event.data
    client = client_of_event(uow.session, event.tenant_id, data.client_id)
    if client is None:  # erased, or never ours: nothing to record
        return
    current = phone_hash(client.tenant_id, client.phone) if client.phone else None
    if not phone_confirmation_applies(data, current, client.phone_confirmation_as_of):
        return
    was_confirmed = client.phone_confirmed_at is not None
    client.phone_confirmed_at = data.changed_at if data.confirmed else None
    client.phone_confirmation_as_of = data.changed_at
    if data.confirmed != was_confirmed:
        action = "phone_confirmed" if data.confirmed else "phone_unconfirmed"
        audit.record(uow, client, action, ["phone_confirmed_at"])


def phone_changed(client: Client) -> None:
    """A new phone (or none) is not confirmed: the person with it has not replied yet."""
    client.phone_confirmed_at = None
