"""The staff projection every service but intake keeps to check a token's member.

One row per staff member, from intake's ``staff.access_changed`` events: active or
not, their role, and the moment from which their tokens count. The API reads it on
each authenticated request (one primary-key lookup, see :func:`standing_reader`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Boolean, Connection, String, Uuid, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db.types import UtcDateTime
from shared.events import Event
from shared.events.data import StaffAccessChangedV1
from shared.principals import StaffStanding


class StaffAccessRecord:
    __tablename__ = "staff_access"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    tokens_valid_after: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # When intake made the change applied last: an older event arriving late is ignored.
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


def record_access_change(
    session: Session, model: type, envelope: Event[StaffAccessChangedV1]
) -> None:
    """Apply a ``staff.access_changed`` event to the projection ``model``."""
    data = envelope.data
    row = session.get(model, (envelope.tenant_id, data.staff_id))
    if row is None:
        row = model(tenant_id=envelope.tenant_id, staff_id=data.staff_id)
        session.add(row)
    elif row.changed_at > envelope.occurred_at:
        return
    row.role = data.role
    row.active = data.active
    row.tokens_valid_after = _later(row.tokens_valid_after, data.tokens_valid_after)
    row.changed_at = envelope.occurred_at


def _later(known: datetime | None, told: datetime | None) -> datetime | None:
    # A cut-off only ever moves forward: no event may bring a revoked token back.
    if known is None or told is None:
        return known or told
    return max(known, told)


def standing_reader(
    model: type,
) -> Callable[[Connection, uuid.UUID, uuid.UUID], StaffStanding | None]:
    """The lookup of one member's standing in ``model``, its statement built once."""
    table = model.__table__
    statement = select(table.c.active, table.c.role, table.c.tokens_valid_after).where(
        table.c.tenant_id == bindparam("tenant_id"), table.c.staff_id == bindparam("staff_id")
    )

    def standing_of(
        connection: Connection, tenant_id: uuid.UUID, staff_id: uuid.UUID
    ) -> StaffStanding | None:
        row = connection.execute(statement, {"tenant_id": tenant_id, "staff_id": staff_id}).first()
        return StaffStanding(row.active, row.role, row.tokens_valid_after) if row else None

    return standing_of
