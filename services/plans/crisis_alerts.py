"""Which clients have a crisis alert nobody has resolved: kept from notifications'
``crisis_alert.opened``, ``.acknowledged`` and ``.resolved`` (each applied once, through
the inbox), so that the caseload puts them first. A state only moves forward (open,
acknowledged, resolved): an event arriving late changes nothing. No words, no note."""

from __future__ import annotations

from services.plans.models import CrisisAlertState
from shared.db import UnitOfWork
from shared.events import Event
from shared.events.data import CrisisAlertV1

ORDER = {"open": 0, "acknowledged": 1, "resolved": 2}


def follow_crisis_alert(uow: UnitOfWork, event: Event[CrisisAlertV1]) -> None:
    data = event.data
    session = uow.session
    known = session.get(CrisisAlertState, data.alert_id)
    if known is None:
        session.add(
            CrisisAlertState(
                alert_id=data.alert_id,
                tenant_id=event.tenant_id,
                client_id=data.client_id,
                state=data.state,
                opened_at=data.at if data.state == "open" else event.occurred_at,
                changed_at=data.at,
            )
        )
        return
    if known.tenant_id != event.tenant_id:
        return
    if ORDER.get(data.state, -1) > ORDER.get(known.state, -1):
        known.state = data.state
        known.changed_at = data.at
    if data.state == "open":
        known.opened_at = data.at
