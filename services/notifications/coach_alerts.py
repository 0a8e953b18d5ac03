"""Alerts to a client's coach, from plans' events: a client flagged at risk, a plan due
for review. An alert names the client as the caseload does, never by an id."""

from __future__ import annotations

from services.notifications.models import Contact, Organisation
from services.notifications.nudges import contact_of, schedule_nudge
from services.notifications.replies.crisis_answers import client_name, lift_hold
from shared.db import UnitOfWork
from shared.events import Event
from shared.events.data import PlanLifecycleV1, RiskAcknowledgedV1, RiskFlaggedV1


def client_ref(uow: UnitOfWork, contact: Contact) -> str:
    """How an alert names the client: as the caseload does (or by initials, as the
    organisation chose), never by an id."""
    return client_name(contact, uow.session.get(Organisation, contact.tenant_id))


def on_risk_flagged(event: Event[RiskFlaggedV1], uow: UnitOfWork) -> None:
    data = event.data
    if data.reason == "crisis_message":
        return  # the coach was alerted when the message came in (``replies``), not twice
    contact = contact_of(uow, event) or _bare_contact(uow, event)
    schedule_nudge(
        uow,
        contact,
        "risk_alert",
        f"risk:{data.plan_id}:{data.reason}:{data.checkin_id or event.id}",
        uow.clock(),
        variables={"client_ref": client_ref(uow, contact), "risk": _risk(data.reason)},
        subject_id=data.plan_id,
        staff_id=data.coach_id,
    )


def on_risk_acknowledged(event: Event[RiskAcknowledgedV1], uow: UnitOfWork) -> None:
    """A coach acknowledged the flag: encouragement held after a crisis may go again."""
    contact = contact_of(uow, event)
    if contact is not None:
        lift_hold(contact, event.data.acknowledged_at)


def on_review_due(event: Event[PlanLifecycleV1], uow: UnitOfWork) -> None:
    data = event.data
    contact = contact_of(uow, event) or _bare_contact(uow, event)
    due_on = data.review_due_on
    schedule_nudge(
        uow,
        contact,
        "review_due_alert",
        f"review:{data.plan_id}:{due_on or event.id}",
        uow.clock(),
        variables={
            "client_ref": client_ref(uow, contact),
            "review_due_on": due_on.isoformat() if due_on else "now",
        },
        subject_id=data.plan_id,
        staff_id=data.coach_id,
    )


def _risk(reason: str) -> str:
    return {"low_wellbeing": "low wellbeing", "missed_checkins": "missed check-ins"}.get(
        reason, reason.replace("_", " ")
    )


def _bare_contact(uow: UnitOfWork, event: Event) -> Contact:
    """An alert about a client intake has not told us of yet still reaches the coach."""
    contact = Contact(
        tenant_id=event.tenant_id,
        client_id=event.data.client_id,
        given_name="",
        timezone="UTC",
        status="active",
    )
    uow.session.add(contact)
    uow.session.flush()
    return contact
