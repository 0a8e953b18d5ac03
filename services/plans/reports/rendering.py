"""The plan-review report as HTML (Jinja2, every value escaped) and as an A4 PDF
(reportlab, with an embedded Unicode font so names in any script print and the text can
be extracted; its content in ``report_story``), from what :func:`review_report.gather`
collected. Both say the same, in the same sections, in ``report_wording``'s words.

Callers render after their database session is closed.
"""

from __future__ import annotations

import base64
import io
import threading
from pathlib import Path

import matplotlib
from jinja2 import Environment, FileSystemLoader, select_autoescape
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import SimpleDocTemplate

from services.plans.reports import charts, wording
from services.plans.reports import pdf_story as story

# -- HTML ---------------------------------------------------------------------------------


_day, _words = wording.day, wording.words


_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"], default_for_string=True),
)
_templates.filters.update(
    day=_day,
    words=_words,
    measure=wording.measure,
    hours=wording.hours,
    local_day=wording.local_day,
    flag_line=wording.flag_line,
    crisis_line=wording.crisis_line,
    low_rating_line=wording.low_rating_line,
    risk_counts=wording.risk_counts,
    quote_line=wording.quote_line,
    open_goal_line=wording.open_goal_line,
    next_checkin_line=wording.next_checkin_line,
    next_step_line=wording.next_step_line,
)
_templates.globals["wording"] = wording


def report_html(report: dict) -> str:
    progress = report["progress"]
    svg = charts.progress_svg(progress)
    return _templates.get_template("review_report.html").render(
        **report,
        sign_off=wording.sign_off_lines(report),
        chart_svg_base64=base64.b64encode(svg).decode(),
        chart_title=charts.chart_title(progress),
        chart_description=charts.describe(progress),
    )


# -- PDF ----------------------------------------------------------------------------------

_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"  # DejaVu ships with it
_fonts_registered = threading.Lock()


def _register_fonts() -> None:
    with _fonts_registered:
        if "DejaVuSans" in pdfmetrics.getRegisteredFontNames():
            return
        pdfmetrics.registerFont(TTFont("DejaVuSans", _FONT_DIR / "DejaVuSans.ttf"))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", _FONT_DIR / "DejaVuSans-Bold.ttf"))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Oblique", _FONT_DIR / "DejaVuSans-Oblique.ttf"))
        pdfmetrics.registerFontFamily(
            "DejaVuSans",
            normal="DejaVuSans",
            bold="DejaVuSans-Bold",
            italic="DejaVuSans-Oblique",
            boldItalic="DejaVuSans-Bold",
        )


def report_pdf(report: dict) -> bytes:
    _register_fonts()
    styles = story.styles()
    participant = report["participant"]
    who = participant["name"] or f"Client {participant['client_id']}"
    period = f"{_day(report['period']['from'])} to {_day(report['period']['to'])}"
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Plan review: {who}, {period}",
        author=report["coach"]["name"] or "",
        creator="Recovery coaching platform",
    )

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("DejaVuSans", 8)
        canvas.drawString(18 * mm, 10 * mm, f"Plan review: {who}, {period}. Confidential.")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    document.build(
        story.flowables(report, styles, who, period), onFirstPage=footer, onLaterPages=footer
    )
    return buffer.getvalue()
