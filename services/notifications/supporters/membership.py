"""Who a client's supporters are: added (invited), confirmed, removed, in the caller's
unit of work, each change announced (``supporter.invited``, ``supporter.confirmed``,
``supporter.removed``: ids, scopes and times, never a name or an address). Also the
crisis scope's message, and what erasure leaves."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from services.notifications.models import Contact, Nudge
from services.notifications.supporters import messages, rules
from services.notifications.supporters.models import CheckinWatch, Disclosure, Supporter
from shared.db import UnitOfWork
from shared.errors import Conflict, Unprocessable

# Crisis messages from the client within this long reach a supporter once.
CRISIS_COALESCING = timedelta(hours=1)


class TooMany(Conflict):
    """The client has ``MAX_SUPPORTERS`` already."""


def supporters_of(session, tenant_id: uuid.UUID, client_id: uuid.UUID) -> list[Supporter]:
    """The client's supporters, removed ones included, oldest first."""
    return list(
        session.scalars(
            select(Supporter)
            .where(Supporter.tenant_id == tenant_id, Supporter.client_id == client_id)
            .order_by(Supporter.invited_at, Supporter.id)
        )
    )


def add_supporter(
    uow: UnitOfWork,
    contact: Contact,
    details: dict,
    consent: dict,
    now: datetime,
) -> Supporter:
    """Invite a supporter: ``details`` (name, relationship, email, phone, timezone,
    scopes, crisis_consent), ``consent`` (method, recorded_by: the client's consent to
    adding them). Conflict beyond ``MAX_SUPPORTERS``; 422 with no address. The crisis
    scope without its own consent is kept but tells the supporter nothing."""
    session = uow.session
    if contact.status != "active":
        raise Conflict("The client is not active.", errors={"client_id": ["Not active."]})
    scopes = sorted(set(details.get("scopes") or []), key=rules.SCOPES.index)
    crisis_consent = details.get("crisis_consent")
    if not (details.get("email") or details.get("phone")):
        raise Unprocessable(
            "A supporter needs an email address or a phone number.",
            errors={"phone": ["An email or a phone is required."]},
        )
    # Counted under the client's lock, so that two requests at once cannot make six.
    session.execute(
        select(Contact.client_id)
        .where(Contact.tenant_id == contact.tenant_id, Contact.client_id == contact.client_id)
        .with_for_update()
    )
    current = session.scalar(
        select(func.count())
        .select_from(Supporter)
        .where(
            Supporter.tenant_id == contact.tenant_id,
            Supporter.client_id == contact.client_id,
            Supporter.state != "removed",
        )
    )
    if current >= rules.MAX_SUPPORTERS:
        raise TooMany(
            f"A client may have at most {rules.MAX_SUPPORTERS} supporters.",
            errors={"supporters": [f"At most {rules.MAX_SUPPORTERS}."]},
        )
    supporter = Supporter(
        id=details.get("id") or uuid.uuid4(),
        tenant_id=contact.tenant_id,
        client_id=contact.client_id,
        name=details["name"],
        relationship=details.get("relationship"),
        email=details.get("email"),
        phone=details.get("phone"),
        timezone=details.get("timezone") or contact.timezone,
        scopes=scopes,
        state="invited",
        consent_method=consent["method"],
        consent_recorded_by=consent.get("recorded_by"),
        consent_at=now,
        invited_at=now,
    )
    if "crisis" in scopes and crisis_consent:  # without it, the scope tells them nothing
        supporter.crisis_consent_method = crisis_consent["method"]
        supporter.crisis_consent_recorded_by = consent.get("recorded_by")
        supporter.crisis_consent_at = now
    session.add(supporter)
    session.flush()
    messages.send_to_supporter(uow, supporter, contact, rules.INVITE, f"invite:{supporter.id}", now)
    _announce(uow, "supporter.invited", supporter, now)
    return supporter


def confirm(uow: UnitOfWork, supporter: Supporter, now: datetime, *, acknowledge: bool) -> bool:
    """The supporter said yes: invited becomes active (once)."""
    if supporter.state != "invited":
        return False
    supporter.state = "active"
    supporter.confirmed_at = now
    _announce(uow, "supporter.confirmed", supporter, now)
    contact = uow.session.get(Contact, (supporter.tenant_id, supporter.client_id))
    if acknowledge and contact is not None:
        messages.send_to_supporter(
            uow, supporter, contact, rules.CONFIRMED_ACK, f"confirmed:{supporter.id}", now
        )
    return True


def remove(
    uow: UnitOfWork, supporter: Supporter, by: str, now: datetime, *, acknowledge: bool = False
) -> bool:
    """Removed by the client, their coach or the supporter themselves (``by``): nothing
    more is sent to them, now or later."""
    if supporter.state == "removed":
        return False
    supporter.state = "removed"
    supporter.removed_at = now
    supporter.removed_by = by
    messages.cancel_for(uow, supporter, "supporter_removed")
    _announce(uow, "supporter.removed", supporter, now, by=by)
    contact = uow.session.get(Contact, (supporter.tenant_id, supporter.client_id))
    if acknowledge and contact is not None:
        messages.send_to_supporter(
            uow, supporter, contact, rules.LEFT_ACK, f"left:{supporter.id}", now
        )
    return True


def _announce(
    uow: UnitOfWork, event_type: str, supporter: Supporter, now: datetime, by: str | None = None
) -> None:
    payload = {"supporter_id": supporter.id, "client_id": supporter.client_id, "at": now}
    if event_type != "supporter.removed":
        payload["scopes"] = list(supporter.scopes)
    else:
        payload["by"] = by
    uow.publish(event_type, supporter.tenant_id, payload, aggregate_id=supporter.client_id)


# -- the crisis scope ---------------------------------------------------------------------


def tell_crisis_supporters(
    uow: UnitOfWork, contact: Contact, reply_id: uuid.UUID, now: datetime
) -> int:
    """A crisis message from the client: each active supporter with the crisis scope and
    its consent gets the fixed minimal message, at any hour, once per hour at most."""
    told = 0
    for supporter in supporters_of(uow.session, contact.tenant_id, contact.client_id):
        if not rules.may_receive(
            supporter.state, supporter.scopes, "crisis", supporter.has_crisis_consent
        ):
            continue
        recent = uow.session.scalar(
            select(Nudge.id).where(
                Nudge.tenant_id == contact.tenant_id,
                Nudge.client_id == contact.client_id,
                Nudge.kind == rules.CRISIS,
                Nudge.subject_id == supporter.id,
                Nudge.due_at > now - CRISIS_COALESCING,
            )
        )
        if recent is not None:
            continue
        messages.send_to_supporter(
            uow, supporter, contact, rules.CRISIS, f"crisis:{reply_id}:{supporter.id}", now
        )
        told += 1
    return told


# -- celebrations ------------------------------------------------------------------------


def tell_celebration(uow: UnitOfWork, contact: Contact, goal_id: uuid.UUID, now: datetime) -> int:
    """A goal achieved: each active supporter with ``celebrations`` hears of it, once per
    goal (never which goal: its title is the client's plan)."""
    if contact.status != "active":
        return 0
    told = 0
    for supporter in supporters_of(uow.session, contact.tenant_id, contact.client_id):
        if rules.may_receive(
            supporter.state, supporter.scopes, "celebrations", supporter.has_crisis_consent
        ):
            key = f"goal:{goal_id}:{supporter.id}"
            messages.send_to_supporter(uow, supporter, contact, rules.CELEBRATION, key, now)
            told += 1
    return told


# -- erasure ------------------------------------------------------------------------------


def erase_supporters(uow: UnitOfWork, tenant_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """The client is erased: their supporters go, and the disclosure log keeps only what
    kind of message went when (no name, address or text)."""
    session = uow.session
    for model in (Supporter, CheckinWatch):
        session.execute(
            delete(model)
            .where(model.tenant_id == tenant_id, model.client_id == client_id)
            .execution_options(synchronize_session=False)
        )
    session.execute(
        update(Disclosure)
        .where(Disclosure.tenant_id == tenant_id, Disclosure.client_id == client_id)
        .values(to=None, supporter_name=None, text=None, consent=None)
        .execution_options(synchronize_session=False)
    )
