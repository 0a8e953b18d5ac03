"""Events notifications consumes, each handled with the runtime's clock."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from services.notifications import contacts, nudges, plan_projection
from shared.db import UnitOfWork
from shared.events import Envelope

EventHandler = Callable[[Envelope, UnitOfWork, datetime], None]


def in_turn(*effects: EventHandler) -> EventHandler:
    """One event with several effects, all in the event's one transaction."""

    def handle(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
        for effect in effects:
            effect(envelope, uow, now)

    handle.__name__ = effects[0].__name__
    return handle


# The plan projection (what the weekly digest says) learns from plans' events too.
HANDLERS: dict[str, EventHandler] = {
    "client.referred": contacts.on_client_referred,
    "client.onboarded": nudges.on_client_onboarded,
    "client.updated": nudges.on_client_updated,
    "client.discharged": contacts.on_client_discharged,
    "client.erased": contacts.on_client_erased,
    "staff.created": contacts.on_staff_changed,
    "staff.updated": contacts.on_staff_changed,
    "staff.access_changed": contacts.on_staff_access_changed,
    "plan.activated": nudges.on_plan_activated,
    "plan.review_due": nudges.on_review_due,
    "plan.mood_prompts_set": nudges.on_mood_prompts_set,
    "goal.achieved": in_turn(nudges.on_goal_achieved, plan_projection.on_goal_achieved),
    "action.scheduled": in_turn(nudges.on_action_scheduled, plan_projection.on_action_event),
    "action.rescheduled": in_turn(nudges.on_action_rescheduled, plan_projection.on_action_event),
    "action.completed": in_turn(nudges.on_action_closed, plan_projection.on_action_event),
    "action.cancelled": in_turn(nudges.on_action_closed, plan_projection.on_action_event),
    "checkin.scheduled": in_turn(nudges.on_checkin_scheduled, plan_projection.on_checkin_event),
    "checkin.rescheduled": in_turn(nudges.on_checkin_rescheduled, plan_projection.on_checkin_event),
    "checkin.recorded": in_turn(nudges.on_checkin_closed, plan_projection.on_checkin_event),
    "checkin.cancelled": in_turn(nudges.on_checkin_closed, plan_projection.on_checkin_event),
    "checkin.missed": in_turn(nudges.on_checkin_missed, plan_projection.on_checkin_event),
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
