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
from sqlalchemy.orm.exc import StaleDataError

from services.plans import use_cases
from services.plans.coach_schemas import ReportNotesSchema, ReportQuerySchema
from services.plans.reports import drawing
from services.plans.reports import use_cases as report_use_cases
from services.plans.reports.drawing import DrawingBusy
from shared.auth import current_principal
from shared.errors import PreconditionFailed
from shared.use_case import as_caller
from shared.web.endpoints import STAFF, ApiBlueprint
from shared.web.etag import if_match
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
    return as_caller(use_cases.plan_progress, plan_id)


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
    return as_caller(report_use_cases.report_of, plan_id, query["from_"], query["to"])


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


@reports.get("/plans/<uuid:plan_id>/report-notes", response=ReportNotesSchema)
def get_report_notes(plan_id: uuid.UUID):
    """The coach's summary and recommendations for the report, with an ``ETag``."""
    return _notes_answer(*as_caller(report_use_cases.report_notes, plan_id))


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
    return _notes_answer(
        *as_caller(report_use_cases.write_report_notes, plan_id, body, if_match=if_match())
    )


def _notes_answer(view: dict, etag: str) -> tuple:
    return view, 200, {"ETag": etag}


def blueprints():
    return (reports,)
