"""The plan-review report and the progress chart: what a funder's review asks for.

Owns: the report's HTTP routes (``api``: ``report.html``, ``report.pdf``,
``progress.svg``/``.png``, the coach's notes), gathering the report's facts (``review``,
with the client's own words ``quotes``, risk and safety ``risk``, the next period
``next_period``), its sentences written once for HTML and PDF (``wording``), rendering
(``rendering``: HTML through Jinja2 from ``templates/``, an A4 PDF from ``pdf_story``),
the chart (``charts``, matplotlib), and drawing them on a bounded pool of slots with a
cache (``drawing/``). What its routes read, in the unit of work each owns (closed
before anything is drawn), is in ``use_cases``.

Entry points: ``blueprints()`` (its routes), ``gather`` (the report's facts),
``report_html`` and ``report_pdf``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.plans.reports.rendering import report_html, report_pdf
    from services.plans.reports.review import gather

__all__ = ["blueprints", "gather", "report_html", "report_pdf"]


def blueprints() -> tuple:
    from services.plans.reports.api import reports

    return (reports,)


def __getattr__(name: str):
    # Loaded on first use, so that one module of the package imports without the rest.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from services.plans.reports.rendering import report_html, report_pdf
    from services.plans.reports.review import gather

    return {"gather": gather, "report_html": report_html, "report_pdf": report_pdf}[name]
