"""Consent changes the client made through notifications (an SMS keyword, an unsubscribe
link): ``contact.opted_out`` and ``contact.opted_in``."""

from __future__ import annotations

from services.intake import clients, consent
from services.intake.scoping import client_of_event
from shared.db import UnitOfWork
from shared.events import Event
from shared.events.data import ConsentChangedV1


def on_opted_out(event: Event[ConsentChangedV1], uow: UnitOfWork) -> None:
    _consent_changed(event, uow, granted=False)


def on_opted_in(event: Event[ConsentChangedV1], uow: UnitOfWork) -> None:
    _consent_changed(event, uow, granted=True)


def _consent_changed(event: Event[ConsentChangedV1], uow: UnitOfWork, *, granted: bool) -> None:
    data = event.data
    client = client_of_event(uow.session, event.tenant_id, data.client_id)
    if client is None:  # erased, or never ours: nothing to record
        return
    changed = consent.change(
        uow,
        client,
        data.channel,
        granted,
        data.method,
        recorded_by=None,
        occurred_at=data.occurred_at,
        source_event_id=event.id,
    )
    if changed:
        uow.session.flush()
        clients.publish_updated(uow, client, ["consent"])
