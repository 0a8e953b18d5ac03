"""Who may see which client: every query scoped by tenant, coaches to their own clients.

Org admins see every client of their organisation; a coach sees the clients assigned to
them or referred by them. Anything out of scope (another tenant's, another coach's, an
erased one) is a 404, exactly like a client that does not exist.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, Row, Select, bindparam, or_, select
from sqlalchemy.orm import Session

from services.intake.models import Client
from shared.errors import NotFound
from shared.principals import Principal


def scoped_clients(principal: Principal) -> Select:
    return select(Client).where(
        *_scope(principal.tenant_id, principal.staff_id, admin=principal.role == "org_admin")
    )


def _scope(tenant_id, staff_id, *, admin: bool) -> list:
    condition = [Client.tenant_id == tenant_id, Client.erased_at.is_(None)]
    if not admin:
        condition.append(or_(Client.coach_id == staff_id, Client.referred_by == staff_id))
    return condition


def client_for(session: Session, principal: Principal, client_id: uuid.UUID) -> Client:
    """A client the caller may see; anything else does not exist."""
    client = session.scalar(scoped_clients(principal).where(Client.id == client_id))
    if client is None:
        raise NotFound("No such client.")
    return client


# The most frequent read of all, built once per scope (org admin or not) and run without
# the ORM: parameters are bound per call.
_VISIBLE_CLIENT = {
    admin: select(Client.__table__).where(
        Client.id == bindparam("client_id"),
        *_scope(bindparam("tenant_id"), bindparam("staff_id"), admin=admin),
    )
    for admin in (True, False)
}


def read_client(connection: Connection, principal: Principal, client_id: uuid.UUID) -> Row:
    """What :func:`client_for` finds, as a row for reading only (``GET`` a client)."""
    client = connection.execute(
        _VISIBLE_CLIENT[principal.role == "org_admin"],
        {"client_id": client_id, "tenant_id": principal.tenant_id, "staff_id": principal.staff_id},
    ).one_or_none()
    if client is None:
        raise NotFound("No such client.")
    return client


def any_client_for(session: Session, principal: Principal, client_id: uuid.UUID) -> Client:
    """A client of the caller's organisation, erased tombstones included (for admins)."""
    client = session.scalar(
        select(Client).where(Client.id == client_id, Client.tenant_id == principal.tenant_id)
    )
    if client is None:
        raise NotFound("No such client.")
    return client


def list_query(principal: Principal, filters: dict) -> Select:
    """The clients the caller may see, narrowed by the list's filters."""
    stmt = scoped_clients(principal)
    if filters.get("status"):
        stmt = stmt.where(Client.status == filters["status"])
    if filters.get("coach_id"):
        stmt = stmt.where(Client.coach_id == filters["coach_id"])
    if filters.get("updated_since"):
        stmt = stmt.where(Client.updated_at >= filters["updated_since"])
    return stmt


def client_of_event(session: Session, tenant_id: uuid.UUID, client_id) -> Client | None:
    """The client an event from another service names, if it is this tenant's and not
    erased (an event about anyone else records nothing)."""
    return session.scalar(
        select(Client).where(
            Client.id == client_id,
            Client.tenant_id == tenant_id,
            Client.erased_at.is_(None),
        )
    )
