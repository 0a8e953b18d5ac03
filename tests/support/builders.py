"""Event payloads tests send again and again, valid for the catalogue's schemas
(``shared/events/payloads.py``): a function per event type with defaults for every field
a test does not care about, and keyword overrides for those it does.

Ids default to new ones; times are the caller's (a test's clock decides them). A field a
schema does not know fails where the envelope is built (``new_envelope``), so an override
cannot quietly send something no producer sends.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

SYDNEY = "Australia/Sydney"


def _id(value) -> uuid.UUID | str:
    return value if value is not None else uuid.uuid4()


def local_key(moment: datetime, timezone: str = SYDNEY) -> str:
    """An occurrence's key as plans makes it: its local date and time, to the minute."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


# -- intake -------------------------------------------------------------------------------


def contact(**overrides) -> dict:
    """A client's contact as intake sends it (a fresh email address each time)."""
    return {
        "given_name": "Jordan",
        "preferred_name": "Jo",
        "email": f"jo.{uuid.uuid4().hex[:8]}@example.net",
        "phone": "+61412345678",
        "timezone": SYDNEY,
        "locale": "en",
        "consent": {"email": True, "sms": True},
    } | overrides


def assessment(**overrides) -> dict:
    return {"version": 1, "domain_ratings": {"housing": 5}} | overrides


def client_onboarded(client_id=None, coach_id=None, **overrides) -> dict:
    """``client.onboarded``: the contact's timezone is the client's unless overridden."""
    details = overrides.pop("contact", None) or contact()
    return {
        "client_id": _id(client_id),
        "coach_id": _id(coach_id),
        "timezone": details["timezone"],
        "contact": details,
        "assessment": assessment(),
    } | overrides


def client_referred(client_id=None, **overrides) -> dict:
    return {"client_id": _id(client_id), "referred_by": None, "contact": contact()} | overrides


def client_updated(client_id, changed, **overrides) -> dict:
    return {
        "client_id": client_id,
        "changed": list(changed),
        "coach_id": None,
        "contact": contact(),
    } | overrides


def client_discharged(client_id, discharged_at: datetime, reason="goals met", **overrides):
    return {"client_id": client_id, "reason": reason, "discharged_at": discharged_at} | overrides


def staff_created(staff_id=None, **overrides) -> dict:
    return {
        "staff_id": _id(staff_id),
        "name": "Casey Coach",
        "email": "casey.coach@harbour.example",
        "role": "coach",
        "organisation_name": None,
    } | overrides


# -- plans --------------------------------------------------------------------------------


def plan_activated(client_id, **overrides) -> dict:
    return {"plan_id": uuid.uuid4(), "client_id": client_id, "coach_id": uuid.uuid4()} | overrides


def goal(client_id, **overrides) -> dict:
    """``goal.created`` (or ``goal.achieved``; ``goal.updated`` with status and progress)."""
    return {
        "goal_id": uuid.uuid4(),
        "plan_id": uuid.uuid4(),
        "client_id": client_id,
        "title": "Join a community garden group",
        "domain": "social_connection",
    } | overrides


def action_scheduled(client_id, due_at: datetime | None, **overrides) -> dict:
    """``action.scheduled`` for one occurrence of a step (also the shape of
    ``action.rescheduled``, ``.completed`` and ``.cancelled``). The occurrence key is
    its local time in ``timezone`` unless given (none without a ``due_at``)."""
    timezone = overrides.get("timezone", SYDNEY)
    return {
        "action_id": uuid.uuid4(),
        "goal_id": uuid.uuid4(),
        "plan_id": uuid.uuid4(),
        "client_id": client_id,
        "title": "Morning walk",
        "occurrence_key": local_key(due_at, timezone) if due_at else None,
        "due_at": due_at,
        "timezone": timezone,
        "reminder_lead_minutes": 60,
    } | overrides


def checkin_scheduled(client_id, starts_at: datetime, **overrides) -> dict:
    """``checkin.scheduled`` (also the shape of ``.rescheduled`` and ``.cancelled``)."""
    return {
        "checkin_id": uuid.uuid4(),
        "plan_id": uuid.uuid4(),
        "client_id": client_id,
        "coach_id": uuid.uuid4(),
        "starts_at": starts_at,
        "starts_local": "Thu 02 Jul, 14:00",
        "timezone": SYDNEY,
        "duration_minutes": 45,
        "mode": "in_person",
    } | overrides


# -- notifications ------------------------------------------------------------------------


def client_replied(client_id, received_at: datetime, intent: str = "done", **overrides) -> dict:
    """``client.replied`` as notifications announces a reply (a web Done unless
    overridden); ``text`` only where the intent carries words."""
    return {
        "reply_id": uuid.uuid4(),
        "client_id": client_id,
        "channel": "web",
        "received_at": received_at,
        "intent": intent,
        "rating": None,
        "action_id": None,
        "occurrence_key": None,
        "text": None,
    } | overrides


def completion_withdrawn(
    client_id, reply_id, action_id, occurrence_key: str, withdrawn_at: datetime
) -> dict:
    """``action.completion_withdrawn``: the client took back the Done ``reply_id``."""
    return {
        "reply_id": reply_id,
        "client_id": client_id,
        "action_id": action_id,
        "occurrence_key": occurrence_key,
        "withdrawn_at": withdrawn_at,
    }
