"""Charts and the plan-review report: ``progress.svg`` / ``progress.png``,
``report.html`` / ``report.pdf`` and the coach's ``report-notes``.

Every view reads in a session it closes before drawing: no chart or PDF is rendered
while a database transaction is open, and at most a few render at once per process.
"""

from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager

from flask import Response
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.plans import history, review_report, scoping
from services.plans.coach_schemas import ReportNotesSchema, ReportQuerySchema
from services.plans.models import ReportNotes
from services.plans.progress import progress_of
from shared.auth import current_principal, requires_role
from shared.errors import Conflict, PreconditionFailed
from shared.runtime import current_runtime
from shared.web.etag import etag_of, require_fresh
from shared.web.problems import handle_domain_error, problem
from shared.web.schemas import documents_errors

reports = Blueprint(
    "reports",
    __name__,
    url_prefix="/v1",
    description="Progress charts and the plan-review report",
)
STAFF = ("org_admin", "coach")
PRIVATE = {"Cache-Control": "no-store"}  # health information: never kept by a cache
# The report page loads nothing and runs nothing: its chart is an inline image.
PAGE_POLICY = {
    "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


# matplotlib and reportlab are CPU-bound: a burst of chart or report requests queues
# briefly for a slot rather than starving the API's other requests, and gives up with a
# 503 if none frees up.
RENDERS_AT_ONCE = 2
RENDER_WAIT_SECONDS = 20
_render_slots = threading.BoundedSemaphore(RENDERS_AT_ONCE)


class RenderingBusy(Exception):
    """Every rendering slot stayed taken for RENDER_WAIT_SECONDS."""


@contextmanager
def _rendering():
    """The rendering module (imported when first needed: matplotlib and reportlab are
    heavy, and only these views of the API process use them), inside a slot."""
    if not _render_slots.acquire(timeout=RENDER_WAIT_SECONDS):
        raise RenderingBusy()
    try:
        from services.plans import report_rendering

        yield report_rendering
    finally:
        _render_slots.release()


def _busy(_error):
    return problem(
        503,
        "Busy rendering",
        "Too many charts or reports are being drawn; try again shortly.",
        headers={"Retry-After": "5"},
    )


def _stale(_error):
    return handle_domain_error(
        PreconditionFailed("The notes changed while you were writing; fetch them and retry.")
    )


reports.register_error_handler(RenderingBusy, _busy)
reports.register_error_handler(StaleDataError, _stale)


# -- charts -------------------------------------------------------------------------------


def _progress(plan_id: uuid.UUID) -> dict:
    runtime = current_runtime()
    with runtime.session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        return progress_of(session, plan, runtime.clock())


@reports.get("/plans/<uuid:plan_id>/progress.svg")
@requires_role(*STAFF)
@reports.response(200, {"type": "string"}, content_type="image/svg+xml")
@documents_errors(reports, 401, 403, 404, 503)
def plan_progress_chart(plan_id: uuid.UUID):
    """The progress as a chart over the plan's life: wellbeing (check-ins and the
    client's own ratings), weekly step completion, goals, domain ratings (SVG, with
    ``<title>`` and ``<desc>``)."""
    progress = _progress(plan_id)
    with _rendering() as rendering:
        svg = rendering.charts.progress_svg(progress)
    return Response(svg, mimetype="image/svg+xml", headers=PRIVATE)


@reports.get("/plans/<uuid:plan_id>/progress.png")
@requires_role(*STAFF)
@reports.response(200, {"type": "string", "format": "binary"}, content_type="image/png")
@documents_errors(reports, 401, 403, 404, 503)
def plan_progress_png(plan_id: uuid.UUID):
    """The same chart as a PNG image."""
    progress = _progress(plan_id)
    with _rendering() as rendering:
        png = rendering.charts.progress_png(progress)
    return Response(png, mimetype="image/png", headers=PRIVATE)


# -- the plan-review report ---------------------------------------------------------------


def _report(plan_id: uuid.UUID, query: dict) -> dict:
    runtime = current_runtime()
    with runtime.session_factory() as session:
        return review_report.gather(
            session, current_principal(), plan_id, runtime.clock(), query["from_"], query["to"]
        )


@reports.get("/plans/<uuid:plan_id>/report.html")
@requires_role(*STAFF)
@reports.arguments(ReportQuerySchema, location="query")
@reports.response(200, {"type": "string"}, content_type="text/html")
@documents_errors(reports, 401, 403, 404, 409, 422, 503)
def plan_report_html(query, plan_id: uuid.UUID):
    """The plan-review progress report for a funder, over ``from``..``to`` (dates in the
    client's calendar; default the plan's life so far), as HTML."""
    report = _report(plan_id, query)
    with _rendering() as rendering:
        html = rendering.report_html(report)
    return Response(html, mimetype="text/html", headers=PRIVATE | PAGE_POLICY)


@reports.get("/plans/<uuid:plan_id>/report.pdf")
@requires_role(*STAFF)
@reports.arguments(ReportQuerySchema, location="query")
@reports.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
@documents_errors(reports, 401, 403, 404, 409, 422, 503)
def plan_report_pdf(query, plan_id: uuid.UUID):
    """The same report as an A4 PDF (text extractable)."""
    report = _report(plan_id, query)
    with _rendering() as rendering:
        pdf = rendering.report_pdf(report)
    period = report["period"]
    filename = f"plan-review-{plan_id}-{period['from']}-{period['to']}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers=PRIVATE | {"Content-Disposition": f'inline; filename="{filename}"'},
    )


# -- the coach's notes for the report -----------------------------------------------------

NOTE_FIELDS = ("summary", "recommendations")


def _notes_etag(plan_id: uuid.UUID, notes: ReportNotes | None) -> str:
    # not the plan's own ETag: an If-Match meant for the plan must not pass here
    return etag_of(f"{plan_id}-report-notes", notes.version if notes else 0)


def _notes_view(notes: ReportNotes | None) -> dict:
    if notes is None:
        return {"summary": None, "recommendations": None, "updated_at": None}
    return {name: getattr(notes, name) for name in (*NOTE_FIELDS, "updated_at")}


@reports.get("/plans/<uuid:plan_id>/report-notes")
@requires_role(*STAFF)
@reports.response(200, ReportNotesSchema)
@documents_errors(reports, 401, 403, 404)
def get_report_notes(plan_id: uuid.UUID):
    """The coach's summary and recommendations for the report, with an ``ETag``."""
    with current_runtime().session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        notes = session.get(ReportNotes, plan.id)
        return _notes_view(notes), 200, {"ETag": _notes_etag(plan.id, notes)}


@reports.put("/plans/<uuid:plan_id>/report-notes")
@requires_role(*STAFF)
@reports.arguments(ReportNotesSchema)
@reports.response(200, ReportNotesSchema)
@documents_errors(reports, 400, 401, 403, 404, 409, 412, 422)
def put_report_notes(body, plan_id: uuid.UUID):
    """Write the summary and recommendations (``If-Match`` honoured: 412 when stale).
    The plan's history records that they changed, never what they say."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        plan = scoping.plan_for(uow.session, principal, plan_id)
        if plan.erased_at is not None:
            raise Conflict("The client's personal data was erased.")
        notes = uow.session.get(ReportNotes, plan.id)
        require_fresh(_notes_etag(plan.id, notes))
        if notes is None:
            notes = ReportNotes(plan_id=plan.id, tenant_id=plan.tenant_id)
            uow.session.add(notes)
        changed = [name for name in NOTE_FIELDS if getattr(notes, name) != body[name]]
        for name in changed:
            setattr(notes, name, body[name])
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
        return _notes_view(notes), 200, {"ETag": _notes_etag(plan.id, notes)}


def blueprints():
    return (reports,)
