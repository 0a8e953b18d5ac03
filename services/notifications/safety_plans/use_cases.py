"""What the safety plan's routes do, each in the unit of work it owns (see
``services.notifications.use_cases``): the staff's API (scoped as every client route of
notifications: a coach their own clients, an admin the organisation's; anything else, an
erased client included, is a 404) and the client's page (opened by a signed link, already
read and checked by the page; ``secret`` checks that it still opens the client). No web
code here, and nothing of a plan is logged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from services.notifications.client_web.answers import linked_client
from services.notifications.client_web.links import PageLink
from services.notifications.models import Contact
from services.notifications.replies.crisis_answers import crisis_text_for
from services.notifications.safety_plans import store
from services.notifications.safety_plans.models import SafetyPlan, SafetyPlanVersion
from services.notifications.safety_plans.sections import SECTIONS, readable
from services.notifications.scoping import contact_for
from shared.db import UnitOfWork
from shared.errors import Malformed, NotFound
from shared.pagination import MAX_CURSOR_LENGTH, encode_position, read_position

if TYPE_CHECKING:
    from shared.principals import Principal


@dataclass(frozen=True)
class PlanView:
    """A version of a plan as the API shows it, and the plan's current ``etag``."""

    body: dict
    etag: str


def _client(session, principal: Principal, client_id: uuid.UUID) -> Contact:
    contact = contact_for(session, principal, client_id)
    if contact.status == "erased":
        raise NotFound("No such client.")
    return contact


def _plan(session, contact: Contact) -> SafetyPlan:
    plan = store.plan_of(session, contact)
    if plan is None:
        raise NotFound("The client has no safety plan yet.")
    return plan


def _view(session, contact: Contact, plan: SafetyPlan, version: SafetyPlanVersion) -> PlanView:
    current = version.version == plan.version
    body = {
        "client_id": contact.client_id,
        "version": version.version,
        "current_version": plan.version,
        "author": version.author,
        "author_id": version.author_id,
        "created_at": version.created_at,
        "client_acknowledged_at": plan.client_acknowledged_at if current else None,
        "crisis_line": crisis_text_for(session, contact),
        **{name: version.sections.get(name, []) for name in SECTIONS},
    }
    return PlanView(body, store.etag(plan))


def safety_plan(
    uow: UnitOfWork, principal: Principal, client_id: uuid.UUID, version: int | None = None
) -> PlanView:
    """The current version of the client's plan, or version ``version``."""
    with uow:
        session = uow.session
        contact = _client(session, principal, client_id)
        plan = _plan(session, contact)
        found = store.version_of(session, plan, version)
        if found is None:
            raise NotFound(f"The safety plan has no version {version}.")
        return _view(session, contact, plan, found)


def change_safety_plan(
    uow: UnitOfWork,
    principal: Principal,
    client_id: uuid.UUID,
    sections: dict,
    *,
    if_match: str | None,
) -> PlanView:
    """A new version, written by the caller; the client is asked to confirm it again."""
    with uow:
        session = uow.session
        contact = _client(session, principal, client_id)
        plan, version = store.save_version(
            session,
            contact,
            sections,
            uow.clock(),
            author="staff",
            author_id=principal.staff_id,
            if_match=if_match,
        )
        view = _view(session, contact, plan, version)
        uow.commit()
    return view


def safety_plan_versions(
    uow: UnitOfWork, principal: Principal, client_id: uuid.UUID, query: dict
) -> dict:
    """Every version of the client's plan, oldest first, a page at a time."""
    after = _version_after(query["cursor"])
    with uow:
        session = uow.session
        contact = _client(session, principal, client_id)
        plan = _plan(session, contact)
        rows = list(
            session.scalars(
                select(SafetyPlanVersion)
                .where(SafetyPlanVersion.plan_id == plan.id, SafetyPlanVersion.version > after)
                .order_by(SafetyPlanVersion.version)
                .limit(query["limit"] + 1)
            )
        )
    limit = query["limit"]
    next_cursor = encode_position([rows[limit - 1].version]) if len(rows) > limit else None
    return {"items": rows[:limit], "next_cursor": next_cursor}


def _version_after(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        position = read_position(cursor)
        if not (isinstance(position, list) and len(position) == 1):
            raise ValueError("not a version")
        [version] = position
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise ValueError("not a version")
        return version
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise Malformed(
            "The cursor is not valid: pass back the next_cursor of an earlier page.",
            errors={"cursor": ["Not a valid cursor."]},
        ) from exc


# -- the client's page ----------------------------------------------------------------------


@dataclass(frozen=True)
class PlanPage:
    """What the client's safety-plan page shows: the sections in order (the crisis line
    first among professionals), their own coping steps to edit, and whether they confirmed
    this version. ``version`` is None when there is no plan yet."""

    name: str
    crisis_line: str
    version: int | None
    sections: list
    coping_strategies: list
    acknowledged: bool


def plan_page(uow: UnitOfWork, secret: str, link: PageLink) -> PlanPage:
    with uow:
        session = uow.session
        contact = linked_client(session, secret, link)
        crisis_line = crisis_text_for(session, contact)
        plan = store.plan_of(session, contact)
        current = store.version_of(session, plan) if plan is not None else None
        if current is None:
            return PlanPage(
                contact.display_name,
                crisis_line,
                None,
                readable({}, crisis_line),
                [],
                acknowledged=False,
            )
        return PlanPage(
            contact.display_name,
            crisis_line,
            plan.version,
            readable(current.sections, crisis_line),
            list(current.sections.get("coping_strategies", [])),
            acknowledged=plan.client_acknowledged_at is not None,
        )


def change_coping_steps(
    uow: UnitOfWork, secret: str, link: PageLink, version: int, steps: list[str]
) -> bool:
    """The client's own coping steps, as a new version written by the client; False (and
    nothing changed) when the plan has changed since the page was shown, or there is none."""
    with uow:
        session = uow.session
        contact = linked_client(session, secret, link)
        plan = store.plan_of(session, contact, lock=True)
        current = store.version_of(session, plan) if plan is not None else None
        if current is None or plan.version != version:
            return False
        sections = dict(current.sections) | {"coping_strategies": steps}
        store.save_version(
            session, contact, sections, uow.clock(), author="client", if_match=store.etag(plan)
        )
        uow.commit()
    return True


def confirm_plan(uow: UnitOfWork, secret: str, link: PageLink, version: int) -> bool:
    """The client confirms the version they read; False when it is no longer current."""
    with uow:
        contact = linked_client(uow.session, secret, link)
        confirmed = store.acknowledge(uow.session, contact, version, uow.clock())
        uow.commit()
    return confirmed
