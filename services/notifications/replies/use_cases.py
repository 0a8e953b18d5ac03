"""The replies' use cases (crisis settings, unrouted crisis texts, the page of a coach's
crisis alert), each in the unit of work it owns (see ``services.notifications.use_cases``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from services.notifications import suppressions
from services.notifications.digest.weekly_digest import local_label
from services.notifications.dispatcher.outcome_events import publish_outcome
from services.notifications.models import Contact, Nudge, Organisation
from services.notifications.replies.crisis_answers import client_name, crisis_text_for
from services.notifications.replies.crisis_settings import (
    change_crisis_settings,
    crisis_settings_for,
)
from services.notifications.replies.models import CrisisAlert, UnroutedMessage
from shared.db import UnitOfWork

if TYPE_CHECKING:
    from shared.principals import Principal

MAX_LISTED = 100
FAILED_STATUSES = ("failed", "undelivered")
# Provider error codes meaning the number cannot receive texts.
UNREACHABLE_CODES = ("21211", "21610", "21614", "30005", "30006")


def crisis_settings(uow: UnitOfWork, principal: Principal) -> dict:
    """The platform's crisis patterns and texts, and the organisation's own, apart."""
    with uow:
        return crisis_settings_for(uow.session, principal.tenant_id).described()


def change_crisis(uow: UnitOfWork, principal: Principal, changes: dict) -> dict:
    with uow:
        settings = change_crisis_settings(uow.session, principal.tenant_id, changes)
        uow.commit()
    return settings.described()


def newest_unrouted(uow: UnitOfWork, tenant_id: uuid.UUID | None) -> list[UnroutedMessage]:
    """The newest crisis texts from numbers no confirmed record has, sent to the
    organisation's own numbers (``None``: to the platform's shared number)."""
    stmt = select(UnroutedMessage).order_by(UnroutedMessage.received_at.desc()).limit(MAX_LISTED)
    if tenant_id is None:
        stmt = stmt.where(UnroutedMessage.tenant_id.is_(None))
    else:
        stmt = stmt.where(UnroutedMessage.tenant_id == tenant_id)
    with uow:
        return list(uow.session.scalars(stmt))


def organisation_unrouted(uow: UnitOfWork, principal: Principal) -> list[UnroutedMessage]:
    return newest_unrouted(uow, principal.tenant_id)


def crisis_alert(
    uow: UnitOfWork, tenant_id: uuid.UUID, client_id: uuid.UUID, alert_id: uuid.UUID
) -> dict | None:
    """What the page of a coach's crisis alert shows (its link already read), or ``None``
    when the link opens nothing now (no such alert or client, erased, another's)."""
    with uow:
        session = uow.session
        contact = session.get(Contact, (tenant_id, client_id))
        alert = session.get(CrisisAlert, alert_id)
        if contact is None or contact.status == "erased" or alert is None:
            return None
        if alert.tenant_id != tenant_id or alert.client_id != client_id:
            return None
        organisation = session.get(Organisation, tenant_id)
        return {
            "client_name": client_name(contact, organisation),
            "count": alert.message_count,
            "first_local": f"{local_label(alert.opened_at, contact.timezone)} ({contact.timezone})",
            "last_local": f"{local_label(alert.last_at, contact.timezone)} ({contact.timezone})",
            "phone": contact.phone,
            "email": contact.email,
            "words": alert.latest_text,
            "crisis_text": crisis_text_for(session, contact),
        }


def record_delivery_status(
    uow: UnitOfWork, message_id: str, status: str, error_code: str | None
) -> None:
    """The provider's delivery report for a message we sent (none known: nothing)."""
    with uow:
        nudge = uow.session.scalar(select(Nudge).where(Nudge.provider_message_id == message_id))
        if nudge is not None:
            _apply_status(uow, nudge, status, error_code)
        uow.commit()


def _apply_status(uow: UnitOfWork, nudge: Nudge, status: str, error_code: str | None) -> None:
    nudge.delivery_status = status
    if status not in FAILED_STATUSES or nudge.state != "sent":
        return
    nudge.state = "failed"
    nudge.reason = f"undelivered: provider error {error_code or 'unknown'}"[:200]
    if error_code in UNREACHABLE_CODES:
        contact = uow.session.get(Contact, (nudge.tenant_id, nudge.client_id))
        if contact is not None and contact.phone:
            suppressions.suppress(uow.session, nudge.tenant_id, "sms", contact.phone, "bounce")
    publish_outcome(uow, nudge)
