"""Every change to a plan is a revision: who (staff or system), what, when."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from services.plans.models import RecoveryPlan, Revision
from shared.principals import Principal


def plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def apply_changes(row: Any, changes: dict[str, Any]) -> dict[str, dict]:
    """Set ``changes`` on ``row``; return ``{field: {"from", "to"}}`` for those that differ."""
    diff = {}
    for name, value in changes.items():
        old = getattr(row, name)
        if old != value:
            diff[name] = {"from": plain(old), "to": plain(value)}
            setattr(row, name, value)
    return diff


def record(
    session: Session,
    plan: RecoveryPlan,
    actor: Principal | None,
    entity: str,
    entity_id: uuid.UUID,
    change: str,
    fields: dict | None = None,
    at: datetime | None = None,
) -> None:
    """Record a revision; ``at``: when, on the service's clock (else the database row's
    default, the wall clock)."""
    session.add(
        Revision(
            id=uuid.uuid4(),
            **({"created_at": at} if at is not None else {}),
            tenant_id=plan.tenant_id,
            plan_id=plan.id,
            actor_id=actor.staff_id if actor else None,
            actor="staff" if actor else "system",
            entity=entity,
            entity_id=entity_id,
            change=change,
            fields={k: plain(v) for k, v in (fields or {}).items()},
        )
    )
