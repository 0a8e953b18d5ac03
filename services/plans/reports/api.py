"""Charts and the plan-review report: ``progress.svg`` / ``progress.png``,
``report.html`` / ``report.pdf`` and the coach's ``report-notes``.

Every view reads in a session it closes before drawing: no chart or PDF is rendered
while a database transaction is open. Drawing goes through ``drawing``: a few at once
per process, at most half of them for one organisation (a 503 with ``Retry-After``
beyond), and a drawing made from the same values is given again without drawing.
"""

from __future__ import annotations

import logging
import uuid

from flask import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.plans import history, scoping
from services.plans.coach_schemas import ReportNotesSchema, ReportQuerySchema
from services.plans.models import ReportNotes
from services.plans.progress import progress_of
from services.plans.reports import drawing
from services.plans.reports import quotes as review_quotes
from services.plans.reports import review as review_report
from services.plans.reports.drawing import DrawingBusy
from shared.auth import current_principal
from shared.errors import Conflict, PreconditionFailed
from shared.runtime import current_runtime
from shared.web.endpoints import STAFF, ApiBlueprint
from shared.web.etag import etag_of, require_fresh
from shared.web.problems import handle_domain_error, problem

reports = ApiBlueprint(
    "reports", __name__, roles=STAFF, description="Progress charts and the plan-review report"
)
log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = "5"
PRIVATE = {"Cache-Control": "no-store"}  # health information: never kept by a cache
# The report page loads nothing and runs nothing: its chart is an inline image.
PAGE_POLICY = {
    "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


def _busy(error: DrawingBusy):
    # the organisation is named by the request's log context; nothing about the plan
    log.warning("drawing refused", extra={"over_share": error.over_share})
    if error.over_share:
        detail = (
            "Your organisation is already drawing as many charts and reports as it may at "
            "once; try again shortly."
        )
    else:
        detail = "Too many charts or reports are being drawn; try again shortly."
    return problem(503, "Busy drawing", detail, headers={"Retry-After": RETRY_AFTER_SECONDS})


def _stale(_error):
    return handle_domain_error(
        PreconditionFailed("The notes changed while you were writing; fetch them and retry.")
    )


reports.register_error_handler(DrawingBusy, _busy)
reports.register_error_handler(StaleDataError, _stale)
reports.record_once(lambda state: drawing.install(state.app))


def _drawn(plan_id: uuid.UUID, kind: str, inputs: dict, draw, *parameters) -> bytes:
    """Drawn in one of the caller's organisation's slots, or kept from a request that
    drew the same (``drawing``)."""
    key = drawing.key_for(current_principal().tenant_id, plan_id, kind, *parameters)
    return drawing.current_drawing().output(key, inputs, draw)


def _asked(query: dict) -> tuple:
    return query["from_"], query["to"]


# -- charts -------------------------------------------------------------------------------


def _progress(plan_id: uuid.UUID) -> dict:
    runtime = current_runtime()
    with runtime.session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        return progress_of(session, plan, runtime.clock())


@reports.get(
    "/plans/<uuid:plan_id>/progress.svg",
    response={"type": "string"},
    content_type="image/svg+xml",
    errors=(503,),
)
def plan_progress_chart(plan_id: uuid.UUID):
    """The progress as a chart over the plan's life: wellbeing (check-ins and the
    client's own ratings), weekly step completion, goals, domain ratings (SVG, with
    ``<title>`` and ``<desc>``)."""
    progress = _progress(plan_id)
    svg = _drawn(plan_id, "progress.svg", progress, lambda r: r.charts.progress_svg(progress))
    return Response(svg, mimetype="image/svg+xml", headers=PRIVATE)


@reports.get(
    "/plans/<uuid:plan_id>/progress.png",
    response={"type": "string", "format": "binary"},
    content_type="image/png",
    errors=(503,),
)
def plan_progress_png(plan_id: uuid.UUID):
    """The same chart as a PNG image."""
    progress = _progress(plan_id)
    png = _drawn(plan_id, "progress.png", progress, lambda r: r.charts.progress_png(progress))
    return Response(png, mimetype="image/png", headers=PRIVATE)


# -- the plan-review report ---------------------------------------------------------------


def _report(plan_id: uuid.UUID, query: dict) -> dict:
    runtime = current_runtime()
    with runtime.session_factory() as session:
        return review_report.gather(
            session, current_principal(), plan_id, runtime.clock(), query["from_"], query["to"]
        )


@reports.get(
    "/plans/<uuid:plan_id>/report.html",
    query=ReportQuerySchema,
    response={"type": "string"},
    content_type="text/html",
    errors=(409, 503),
)
def plan_report_html(query, plan_id: uuid.UUID):
    """The plan-review progress report for a funder, over ``from``..``to`` (dates in the
    client's calendar; default the plan's life so far), as HTML."""
    report = _report(plan_id, query)
    html = _drawn(
        plan_id, "report.html", report, lambda r: r.report_html(report).encode(), *_asked(query)
    )
    return Response(html, mimetype="text/html", headers=PRIVATE | PAGE_POLICY)


@reports.get(
    "/plans/<uuid:plan_id>/report.pdf",
    query=ReportQuerySchema,
    response={"type": "string", "format": "binary"},
    content_type="application/pdf",
    errors=(409, 503),
)
def plan_report_pdf(query, plan_id: uuid.UUID):
    """The same report as an A4 PDF (text extractable)."""
    report = _report(plan_id, query)
    pdf = _drawn(plan_id, "report.pdf", report, lambda r: r.report_pdf(report), *_asked(query))
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
        return {"summary": None, "recommendations": None, "quoted_entries": [], "updated_at": None}
    view = {name: getattr(notes, name) for name in (*NOTE_FIELDS, "updated_at")}
    return view | {"quoted_entries": [uuid.UUID(i) for i in notes.quoted_entries or ()]}


@reports.get("/plans/<uuid:plan_id>/report-notes", response=ReportNotesSchema)
def get_report_notes(plan_id: uuid.UUID):
    """The coach's summary and recommendations for the report, with an ``ETag``."""
    with current_runtime().session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        notes = session.get(ReportNotes, plan.id)
        return _notes_view(notes), 200, {"ETag": _notes_etag(plan.id, notes)}


@reports.put(
    "/plans/<uuid:plan_id>/report-notes",
    body=ReportNotesSchema,
    response=ReportNotesSchema,
    if_match=True,
    errors=(409,),
)
def put_report_notes(body, plan_id: uuid.UUID):
    """Write the summary and recommendations, and choose the journal entries the report
    quotes (``If-Match`` honoured: 412 when stale; 422 naming ``quoted_entries`` for an
    entry not in this plan's journal). The plan's history records that they changed,
    never what they say."""
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
        return _notes_view(notes), 200, {"ETag": _notes_etag(plan.id, notes)}


def blueprints():
    return (reports,)
