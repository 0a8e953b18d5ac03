"""The report's use cases: what its data comes from and the coach's notes, each in the unit
of work it owns (see ``services.plans.use_cases``). They read and close their session
before the view draws anything: no chart or PDF is drawn while a transaction is open."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from services.plans import history, scoping
from services.plans.models import ReportNotes
from services.plans.reports import quotes as review_quotes
from services.plans.reports import review as review_report
from shared.db import UnitOfWork
from shared.errors import Conflict, PreconditionFailed
from shared.preconditions import check_if_match, etag_of

if TYPE_CHECKING:
    from shared.principals import Principal

NOTE_FIELDS = ("summary", "recommendations")


def report_of(
    uow: UnitOfWork,
    principal: Principal,
    plan_id: uuid.UUID,
    period_from: date | None,
    period_to: date | None,
) -> dict:
    """What the plan-review report says over the period asked for."""
    with uow:
        return review_report.gather(
            uow.session, principal, plan_id, uow.clock(), period_from, period_to
        )


def _notes_etag(plan_id: uuid.UUID, notes: ReportNotes | None) -> str:
    # not the plan's own ETag: an If-Match meant for the plan must not pass here
    return etag_of(f"{plan_id}-report-notes", notes.version if notes else 0)


def _notes_view(notes: ReportNotes | None) -> dict:
    if notes is None:
        return {"summary": None, "recommendations": None, "quoted_entries": [], "updated_at": None}
    view = {name: getattr(notes, name) for name in (*NOTE_FIELDS, "updated_at")}
    return view | {"quoted_entries": [uuid.UUID(i) for i in notes.quoted_entries or ()]}


def report_notes(uow: UnitOfWork, principal: Principal, plan_id: uuid.UUID) -> tuple[dict, str]:
    """The coach's notes as shown, and their ``ETag``."""
    with uow:
        plan = scoping.plan_for(uow.session, principal, plan_id)
        notes = uow.session.get(ReportNotes, plan.id)
        return _notes_view(notes), _notes_etag(plan.id, notes)


def write_report_notes(
    uow: UnitOfWork, principal: Principal, plan_id: uuid.UUID, body: dict, *, if_match
) -> tuple[dict, str]:
    """Write the summary and recommendations and choose the quoted journal entries; the
    plan's history records that they changed, never what they say. The notes as shown
    now, and their ``ETag``."""
    with uow:
        plan = scoping.plan_for(uow.session, principal, plan_id)
        if plan.erased_at is not None:
            raise Conflict("The client's personal data was erased.")
        notes = uow.session.get(ReportNotes, plan.id)
        check_if_match(if_match, _notes_etag(plan.id, notes))
        if notes is None:
            notes = ReportNotes(plan_id=plan.id, tenant_id=plan.tenant_id)
            uow.session.add(notes)
        wanted = {name: body[name] for name in NOTE_FIELDS}
        if "quoted_entries" in body:
            wanted["quoted_entries"] = review_quotes.chosen(
                uow.session, plan, body["quoted_entries"]
            )
        changed = [name for name, value in wanted.items() if getattr(notes, name) != value]
        for name in changed:
            setattr(notes, name, wanted[name])
        if changed:
            notes.updated_by = principal.staff_id
            history.record(
                uow.session, plan, principal, "report_notes", plan.id, "updated",
                {name: "changed" for name in changed},
            )  # fmt: skip
        try:
            uow.commit()
        except IntegrityError as exc:  # another writer created them first
            raise PreconditionFailed(
                "The notes changed while you were writing; fetch them and retry."
            ) from exc
        return _notes_view(notes), _notes_etag(plan.id, notes)
