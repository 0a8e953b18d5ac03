"""Names a person reads in place of ids: a step's title for a journal entry, a staff
member's name (plans' projection of intake's staff events) for the history and timeline.

Ids stay beside the names; a member plans has not heard of yet is named ``None``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.plans.models import ActionStep, StaffMember


def staff_names(
    session: Session, tenant_id: uuid.UUID, staff_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    wanted = {each for each in staff_ids if each is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(StaffMember.id, StaffMember.name).where(
            StaffMember.tenant_id == tenant_id, StaffMember.id.in_(wanted)
        )
    )
    return {key: value for key, value in rows}


def action_titles(
    session: Session, tenant_id: uuid.UUID, action_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    wanted = {each for each in action_ids if each is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(ActionStep.id, ActionStep.title).where(
            ActionStep.tenant_id == tenant_id, ActionStep.id.in_(wanted)
        )
    )
    return {key: value for key, value in rows}


def actor_name(actor: str, actor_id: uuid.UUID | None, names: dict[uuid.UUID, str]) -> str | None:
    """A staff member's name (None if plans has not heard of them), else who acted:
    ``system`` or ``client``."""
    if actor == "staff":
        return names.get(actor_id) if actor_id is not None else None
    return actor
