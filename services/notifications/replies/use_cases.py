"""The replies' use cases (crisis settings, unrouted crisis texts, crisis alerts and who
owns them, the page of a coach's crisis alert), each in the unit of work it owns (see
``services.notifications.use_cases``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from services.notifications import suppressions
from services.notifications.digest.weekly_digest import local_label
from services.notifications.dispatcher.outcome_events import publish_outcome
from services.notifications.models import Contact, Nudge, Organisation
from services.notifications.replies import alerts
from services.notifications.replies.crisis_answers import client_name, crisis_text_for
from services.notifications.replies.crisis_settings import (
    change_crisis_settings,
    crisis_settings_for,
)
from services.notifications.replies.models import CrisisAlert, UnroutedMessage
from services.notifications.scoping import contact_for, visible_clients
from shared.db import UnitOfWork
from shared.errors import Conflict, NotFound
from shared.pagination import paginate

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


# -- crisis alerts and who owns them ------------------------------------------------------


def list_alerts(uow: UnitOfWork, principal: Principal, query: dict) -> dict:
    """The organisation's crisis alerts (an admin) or those of the coach's own clients,
    oldest first; ``state`` filters."""
    with uow:
        session = uow.session
        stmt = (
            select(CrisisAlert)
            .join(
                Contact,
                (Contact.tenant_id == CrisisAlert.tenant_id)
                & (Contact.client_id == CrisisAlert.client_id),
            )
            .where(CrisisAlert.tenant_id == principal.tenant_id, *visible_clients(principal))
        )
        if query.get("state"):
            stmt = stmt.where(CrisisAlert.state == query["state"])
        page = paginate(session, stmt, CrisisAlert, query, at=CrisisAlert.opened_at)
        organisation = session.get(Organisation, principal.tenant_id)
        clients = {alert.client_id for alert in page["items"]}
        contacts = {
            contact.client_id: contact
            for contact in session.scalars(
                select(Contact).where(
                    Contact.tenant_id == principal.tenant_id, Contact.client_id.in_(clients)
                )
            )
        }  # one query for the page
        page["items"] = [
            alerts.described(alert, contacts.get(alert.client_id), organisation)
            for alert in page["items"]
        ]
    return page


def _visible_alert(uow: UnitOfWork, principal: Principal, alert_id: uuid.UUID, lock: bool):
    """The alert and its client, for a caller who may see the client; else NotFound."""
    session = uow.session
    stmt = select(CrisisAlert).where(
        CrisisAlert.id == alert_id, CrisisAlert.tenant_id == principal.tenant_id
    )
    alert = session.scalar(stmt.with_for_update() if lock else stmt)
    if alert is None:
        raise NotFound("No such alert.")
    try:
        contact = contact_for(session, principal, alert.client_id)
    except NotFound:
        raise NotFound("No such alert.") from None
    return alert, contact


def crisis_alert_of(uow: UnitOfWork, principal: Principal, alert_id: uuid.UUID) -> dict:
    with uow:
        alert, contact = _visible_alert(uow, principal, alert_id, lock=False)
        organisation = uow.session.get(Organisation, principal.tenant_id)
        return alerts.described(alert, contact, organisation)


def acknowledge_alert(uow: UnitOfWork, principal: Principal, alert_id: uuid.UUID) -> dict:
    """The caller owns the alert now (409 unless it is open)."""
    with uow:
        alert, contact = _visible_alert(uow, principal, alert_id, lock=True)
        try:
            alerts.acknowledge(uow, alert, uow.clock(), principal.staff_id, alerts.VIA_API)
        except alerts.AlertConflict as exc:
            raise Conflict(str(exc)) from None
        described = alerts.described(
            alert, contact, uow.session.get(Organisation, principal.tenant_id)
        )
        uow.commit()
    return described


def resolve_alert(uow: UnitOfWork, principal: Principal, alert_id: uuid.UUID, body: dict) -> dict:
    """How it ended (409 unless it was acknowledged)."""
    with uow:
        alert, contact = _visible_alert(uow, principal, alert_id, lock=True)
        try:
            alerts.resolve(uow, alert, uow.clock(), principal.staff_id, body["note"])
        except alerts.AlertConflict as exc:
            raise Conflict(str(exc)) from None
        described = alerts.described(
            alert, contact, uow.session.get(Organisation, principal.tenant_id)
        )
        uow.commit()
    return described


def acknowledge_by_link(
    uow: UnitOfWork,
    tenant_id: uuid.UUID,
    client_id: uuid.UUID,
    alert_id: uuid.UUID,
    recipient: str | None,
) -> dict | None:
    """The POST of an alert's signed link: acknowledges an open alert once (by the coach
    or admin it was sent to, or someone on the on-call list); an alert acknowledged
    already stays as it was. ``None`` when the link opens nothing now."""
    with uow:
        session = uow.session
        alert = alerts.locked_alert(uow, alert_id)
        contact = session.get(Contact, (tenant_id, client_id))
        if not _link_opens(alert, contact, tenant_id, client_id):
            return None
        if alert.state == "open":
            by = _staff_id(recipient)
            via = alerts.VIA_LINK if by is not None else alerts.VIA_ON_CALL_LINK
            alerts.acknowledge(uow, alert, uow.clock(), by, via)
        page = _alert_page(session, alert, contact)
        uow.commit()
    return page


def _staff_id(recipient: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(recipient) if recipient else None
    except ValueError:
        return None


def _link_opens(alert, contact, tenant_id, client_id) -> bool:
    if contact is None or contact.status == "erased" or alert is None:
        return False
    return alert.tenant_id == tenant_id and alert.client_id == client_id


def crisis_alert(
    uow: UnitOfWork, tenant_id: uuid.UUID, client_id: uuid.UUID, alert_id: uuid.UUID
) -> dict | None:
    """What the page of a coach's crisis alert shows (its link already read), or ``None``
    when the link opens nothing now (no such alert or client, erased, another's). Reading
    it changes nothing (mail scanners follow links)."""
    with uow:
        session = uow.session
        contact = session.get(Contact, (tenant_id, client_id))
        alert = session.get(CrisisAlert, alert_id)
        if not _link_opens(alert, contact, tenant_id, client_id):
            return None
        return _alert_page(session, alert, contact)


def _alert_page(session, alert: CrisisAlert, contact: Contact) -> dict:
    organisation = session.get(Organisation, contact.tenant_id)
    return {
        "state": alert.state,
        "ownership": alerts.ownership_line(alert, contact.timezone),
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
