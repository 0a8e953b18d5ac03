"""A crisis alert that someone owns: ``open`` until a coach or admin acknowledges it
(``acknowledged``: who, when, how), then ``resolved`` with a short note (who, when).

Any other transition is a conflict (:class:`AlertConflict`). While open, the alert goes to
the organisation's on-call list at ``escalate_at`` (``alert_escalation``). Every change is
announced to plans (``crisis_alert.opened``, ``.acknowledged``, ``.resolved``: no words,
no note) through the outbox, in the transaction that makes it. The note is health data:
never logged, never in an event, erased with the client.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from services.notifications.digest.weekly_digest import local_label
from services.notifications.models import Contact, Organisation
from services.notifications.replies.crisis_settings import crisis_settings_for
from services.notifications.replies.models import CrisisAlert
from shared.db import UnitOfWork

STATES = ("open", "acknowledged", "resolved")
MAX_NOTE = 1000
# How the alert was acknowledged: the API, the link in the coach's own alert, or the link
# an on-call recipient was sent.
VIA_API, VIA_LINK, VIA_ON_CALL_LINK = "api", "link", "on_call_link"


class AlertConflict(Exception):
    """The alert is not in a state that allows this (a 409)."""

    def __init__(self, state: str, wanted: str):
        self.state = state
        super().__init__(f"The alert is {state}: it cannot be {wanted}.")


def alert_opened(uow: UnitOfWork, alert: CrisisAlert, now: datetime) -> None:
    """A new alert (``crisis_answers``): open, first escalated when the organisation's
    window has passed unacknowledged; announced."""
    window = crisis_settings_for(uow.session, alert.tenant_id).acknowledge_within_minutes
    alert.state = "open"
    alert.escalations = 0
    alert.escalate_at = now + timedelta(minutes=window)
    _announce(uow, alert, "opened", now, None)


def locked_alert(uow: UnitOfWork, alert_id: uuid.UUID) -> CrisisAlert | None:
    """The alert, its row locked until the transaction ends (two acknowledgements at once:
    one wins, the other finds it acknowledged)."""
    return uow.session.scalar(
        select(CrisisAlert).where(CrisisAlert.id == alert_id).with_for_update()
    )


def acknowledge(
    uow: UnitOfWork, alert: CrisisAlert, now: datetime, by: uuid.UUID | None, via: str
) -> None:
    """Someone owns it now: no more escalation."""
    if alert.state != "open":
        raise AlertConflict(alert.state, "acknowledged")
    alert.state = "acknowledged"
    alert.acknowledged_at = now
    alert.acknowledged_by = by
    alert.acknowledged_via = via
    alert.escalate_at = None
    _announce(uow, alert, "acknowledged", now, by)


def resolve(uow: UnitOfWork, alert: CrisisAlert, now: datetime, by: uuid.UUID, note: str) -> None:
    """How it ended; only an acknowledged alert (someone owned it) is resolved."""
    if alert.state != "acknowledged":
        raise AlertConflict(alert.state, "resolved")
    alert.state = "resolved"
    alert.resolved_at = now
    alert.resolved_by = by
    alert.resolution_note = note.strip()[:MAX_NOTE]
    alert.escalate_at = None
    _announce(uow, alert, "resolved", now, by)


def _announce(
    uow: UnitOfWork, alert: CrisisAlert, change: str, now: datetime, by: uuid.UUID | None
) -> None:
    uow.publish(
        f"crisis_alert.{change}",
        alert.tenant_id,
        {
            "alert_id": alert.id,
            "client_id": alert.client_id,
            "state": alert.state,
            "at": now,
            "by": by,
        },
        aggregate_id=alert.client_id,
    )


def described(
    alert: CrisisAlert, contact: Contact | None, organisation: Organisation | None
) -> dict:
    """The alert as the API shows it."""
    from services.notifications.replies.crisis_answers import client_name

    return {
        "id": alert.id,
        "client_id": alert.client_id,
        "client_name": client_name(contact, organisation) if contact is not None else None,
        "state": alert.state,
        "opened_at": alert.opened_at,
        "last_message_at": alert.last_at,
        "message_count": alert.message_count,
        "escalate_at": alert.escalate_at,
        "escalations": alert.escalations,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_via": alert.acknowledged_via,
        "resolved_at": alert.resolved_at,
        "resolved_by": alert.resolved_by,
        "note": alert.resolution_note,
    }


def ownership_line(alert: CrisisAlert, timezone: str) -> str | None:
    """What the alert's page says about who owns it, if anyone."""
    if alert.state == "open":
        return None
    at = alert.resolved_at if alert.state == "resolved" else alert.acknowledged_at
    return f"This alert was {alert.state} at {local_label(at, timezone)} ({timezone})."
