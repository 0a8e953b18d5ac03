"""Events intake consumes: consent changes the client made through notifications
(an SMS keyword, an unsubscribe link), and whether the person with a client's phone has
confirmed that the record is theirs."""

from __future__ import annotations

from services.intake import clients, consent, phone_confirmation
from services.intake.scoping import client_of_event
from shared.db import UnitOfWork
from shared.events.envelope import Envelope


def _consent_changed(granted: bool):
    def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        data = envelope.data
        client = client_of_event(uow.session, envelope.tenant_id, data["client_id"])
        if client is None:  # erased, or never ours: nothing to record
            return
        changed = consent.change(
            uow,
            client,
            data["channel"],
            granted,
            data["method"],
            recorded_by=None,
            occurred_at=data["occurred_at"],
            source_event_id=envelope.id,
        )
        if changed:
            uow.session.flush()
            clients.publish_updated(uow, client, ["consent"])

    return handle


HANDLERS = {
    "contact.opted_out": _consent_changed(False),
    "contact.opted_in": _consent_changed(True),
    "contact.phone_confirmed": phone_confirmation.on_phone_confirmed,
}
