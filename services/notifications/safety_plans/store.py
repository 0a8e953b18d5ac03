"""A client's safety plan kept: every version (who wrote it, when), the current one, and
the client's confirmation of it. A new version by the coach asks the client to confirm it
again; one the client writes (their own coping steps) keeps their confirmation.

Domain rules on a session: no web, no runtime. Erased with the client (``forget``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.notifications.models import Contact
from services.notifications.safety_plans.models import SafetyPlan, SafetyPlanVersion
from services.notifications.safety_plans.sections import has_content, normalised
from shared.errors import Conflict, PreconditionFailed
from shared.preconditions import check_if_match, etag_of

AUTHORS = ("staff", "client")


def plan_of(session: Session, contact: Contact, *, lock: bool = False) -> SafetyPlan | None:
    stmt = select(SafetyPlan).where(
        SafetyPlan.tenant_id == contact.tenant_id, SafetyPlan.client_id == contact.client_id
    )
    return session.scalar(stmt.with_for_update() if lock else stmt)


def version_of(session: Session, plan: SafetyPlan, version: int | None = None):
    """Version ``version`` of the plan (the current one when None); None if it has none."""
    return session.scalar(
        select(SafetyPlanVersion).where(
            SafetyPlanVersion.plan_id == plan.id,
            SafetyPlanVersion.version == (plan.version if version is None else version),
        )
    )


def etag(plan: SafetyPlan) -> str:
    return etag_of(plan.id, plan.version)


def save_version(
    session: Session,
    contact: Contact,
    sections: dict,
    now: datetime,
    *,
    author: str,
    author_id: uuid.UUID | None = None,
    if_match: str | None = None,
) -> tuple[SafetyPlan, SafetyPlanVersion]:
    """Keep ``sections`` as the plan's new version, written by ``author`` (``staff``, with
    ``author_id``, or ``client``). ``if_match``: the ETag the writer read (412 when the
    plan has changed since; a plan not yet written has none)."""
    plan = plan_of(session, contact, lock=True)
    if plan is None:
        if if_match is not None and if_match.strip() != "*":
            raise PreconditionFailed(
                "The client has no safety plan yet; write it without If-Match.",
                errors={"If-Match": ["No current version."]},
            )
        plan = SafetyPlan(
            id=uuid.uuid4(),
            tenant_id=contact.tenant_id,
            client_id=contact.client_id,
            version=0,
            updated_at=now,
        )
        session.add(plan)
        try:
            session.flush()
        except IntegrityError as exc:  # another writer created it at this very moment
            raise Conflict(
                "The safety plan was written at the same moment; read it and try again."
            ) from exc
    else:
        check_if_match(if_match, etag(plan))
    plan.version += 1
    plan.updated_at = now
    if author == "staff":
        plan.client_acknowledged_at = None  # the client confirms the new version
    version = SafetyPlanVersion(
        id=uuid.uuid4(),
        plan_id=plan.id,
        tenant_id=contact.tenant_id,
        client_id=contact.client_id,
        version=plan.version,
        sections=normalised(sections),
        author=author,
        author_id=author_id,
        created_at=now,
    )
    session.add(version)
    session.flush()
    return plan, version


def acknowledge(session: Session, contact: Contact, version: int, now: datetime) -> bool:
    """The client confirms the version they read; False when it is no longer current (or
    there is no plan). Confirming twice keeps the first moment."""
    plan = plan_of(session, contact, lock=True)
    if plan is None or plan.version != version:
        return False
    if plan.client_acknowledged_at is None:
        plan.client_acknowledged_at = now
    return True


def has_safety_plan(session: Session, contact: Contact) -> bool:
    """Whether the client has a plan with something in it."""
    plan = plan_of(session, contact)
    if plan is None:
        return False
    current = version_of(session, plan)
    return current is not None and has_content(current.sections)


def forget(session: Session, tenant_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """Erasure: every version of the client's plan, and the plan, deleted."""
    for model in (SafetyPlanVersion, SafetyPlan):
        session.execute(
            delete(model)
            .where(model.tenant_id == tenant_id, model.client_id == client_id)
            .execution_options(synchronize_session=False)
        )
