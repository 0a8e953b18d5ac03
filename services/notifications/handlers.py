"""Events notifications consumes, each handled with the runtime's clock."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from services.notifications import contacts, nudges
from shared.db import UnitOfWork
from shared.events import Envelope

EventHandler = Callable[[Envelope, UnitOfWork, datetime], None]

HANDLERS: dict[str, EventHandler] = {
    "client.referred": contacts.on_client_referred,
    "client.onboarded": nudges.on_client_onboarded,
    "client.updated": contacts.on_client_updated,
    "client.discharged": contacts.on_client_discharged,
    "client.erased": contacts.on_client_erased,
    "staff.created": contacts.on_staff_changed,
    "staff.updated": contacts.on_staff_changed,
    "plan.activated": nudges.on_plan_activated,
    "plan.review_due": nudges.on_review_due,
    "goal.achieved": nudges.on_goal_achieved,
    "action.scheduled": nudges.on_action_scheduled,
    "action.rescheduled": nudges.on_action_rescheduled,
    "action.completed": nudges.on_action_closed,
    "action.cancelled": nudges.on_action_closed,
    "checkin.scheduled": nudges.on_checkin_scheduled,
    "checkin.rescheduled": nudges.on_checkin_rescheduled,
    "checkin.recorded": nudges.on_checkin_closed,
    "checkin.cancelled": nudges.on_checkin_closed,
    "checkin.missed": nudges.on_checkin_missed,
    "client.risk_flagged": nudges.on_risk_flagged,
}


def handlers_with_clock(clock: Callable[[], datetime], local_outbox: Path | None = None) -> dict:
    """The handlers as the inbox runner calls them, reading ``clock()`` at each event.
    Erasure also deletes the client's messages from ``local_outbox`` (the embedded
    channels' folder)."""

    def bind(handler: EventHandler):
        def handle(envelope: Envelope, uow: UnitOfWork) -> None:
            handler(envelope, uow, clock())

        handle.__name__ = handler.__name__
        return handle

    handlers = dict(HANDLERS)
    handlers["client.erased"] = functools.partial(
        contacts.on_client_erased, local_outbox=local_outbox
    )
    handlers["client.erased"].__name__ = contacts.on_client_erased.__name__
    return {event_type: bind(handler) for event_type, handler in handlers.items()}
