"""Who may see which client's notifications: the same rule as intake's.

Org admins see every client of their organisation; a coach sees the clients assigned to
them or referred by them (``coach_id`` and ``referred_by`` in the contact projection,
kept right by ``client.referred``/``onboarded``/``updated``). Anything else, another
organisation's client included, is a 404, exactly like a client that does not exist.
"""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.notifications.models import Contact
from shared.errors import NotFound
from shared.principals import Principal


def _scope(principal: Principal) -> list:
    condition = [Contact.tenant_id == principal.tenant_id]
    if principal.role != "org_admin":
        condition += [
            or_(Contact.coach_id == principal.staff_id, Contact.referred_by == principal.staff_id),
            # Intake hides an erased client from coaches; its bare nudge states stay
            # visible to the organisation's admins.
            Contact.status != "erased",
        ]
    return condition


def visible_clients(principal: Principal) -> list:
    """The conditions on ``Contact`` of the clients the caller may see."""
    return _scope(principal)


def contact_for(session: Session, principal: Principal, client_id: uuid.UUID) -> Contact:
    """The contact of a client the caller may see; NotFound for any other."""
    contact = session.scalar(
        select(Contact).where(Contact.client_id == client_id, *_scope(principal))
    )
    if contact is None:
        raise NotFound("No such client.")
    return contact
