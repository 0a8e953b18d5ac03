"""The plan-review report as HTML (Jinja2, every value escaped) and as an A4 PDF
(reportlab, with an embedded Unicode font so names in any script print and the text can
be extracted), from what :func:`review_report.gather` collected.

Callers render after their database session is closed.
"""

from __future__ import annotations

import base64
import io
import threading
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from jinja2 import Environment, FileSystemLoader, select_autoescape
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from services.plans import charts
from services.plans.limits import NOTES_PER_REPORT

# -- HTML ---------------------------------------------------------------------------------


def _day(value) -> str:
    if isinstance(value, datetime | date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


def _words(value) -> str:
    return str(value).replace("_", " ")


def _measure(value) -> str:
    if not value:
        return "not recorded"
    band = f" ({_words(value['band'])})" if value.get("band") else ""
    return f"{value['total']}{band}"


_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"], default_for_string=True),
)
_templates.filters.update(day=_day, words=_words, measure=_measure)


def report_html(report: dict) -> str:
    progress = report["progress"]
    svg = charts.progress_svg(progress)
    return _templates.get_template("review_report.html").render(
        **report,
        notes_per_report=NOTES_PER_REPORT,
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


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", base["BodyText"], fontName="DejaVuSans", fontSize=10, leading=13)
    return {
        "title": ParagraphStyle("title", base["Title"], fontName="DejaVuSans-Bold", fontSize=17),
        "h2": ParagraphStyle(
            "h2", base["Heading2"], fontName="DejaVuSans-Bold", fontSize=13, spaceBefore=10
        ),
        "h3": ParagraphStyle("h3", base["Heading3"], fontName="DejaVuSans-Bold", fontSize=11),
        "body": body,
        "muted": ParagraphStyle("muted", body, textColor=colors.HexColor("#555555")),
        "cell": ParagraphStyle("cell", body, fontSize=9, leading=11, alignment=TA_LEFT),
    }


def _text(value) -> str:
    """Plain text made safe for reportlab's paragraph markup; line breaks kept."""
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


def report_pdf(report: dict) -> bytes:
    _register_fonts()
    styles = _styles()
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

    story = _story(report, styles, who, period)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _table(rows, widths, styles, header=True) -> Table:
    cells = [[Paragraph(_text(cell), styles["cell"]) for cell in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#bbbbbb")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(commands))
    return table


def _story(report: dict, styles, who: str, period: str) -> list:
    width = A4[0] - 36 * mm
    participant, coach = report["participant"], report["coach"]
    organisation, plan = report["organisation"], report["plan"]
    story = [
        Paragraph("Recovery plan review: progress report", styles["title"]),
        _table(
            [
                ["Participant", who],
                ["External reference", participant["external_reference"] or "not recorded"],
                ["Period", period],
                ["Coach", coach["name"] or f"Staff member {coach['id']}"],
                ["Organisation", organisation["name"] or str(organisation["id"])],
                ["Plan", _plan_line(plan)],
                ["Prepared", _day(report["prepared_on"])],
            ],
            [45 * mm, width - 45 * mm],
            styles,
            header=False,
        ),
        Paragraph("Goals", styles["h2"]),
    ]
    for goal in report["goals"]:
        story.append(KeepTogether(_goal_block(goal, styles)))
    if not report["goals"]:
        story.append(Paragraph("No goals.", styles["muted"]))
    if report["goals_not_shown"]:
        shown, left_out = len(report["goals"]), report["goals_not_shown"]
        story.append(
            Paragraph(
                f"{left_out} more goals are not shown: the report shows the first {shown}.",
                styles["muted"],
            )
        )

    attendance, steps = report["attendance"], report["steps"]
    rate = f" ({round(100 * steps['completed'] / steps['due'])}%)" if steps["due"] else ""
    story += [
        Paragraph("Check-ins and steps", styles["h2"]),
        _table(
            [
                ["Check-ins attended", attendance["attended"]],
                ["Check-ins missed", attendance["missed"]],
                ["Check-ins cancelled", attendance["cancelled"]],
                ["Action steps completed", f"{steps['completed']} of {steps['due']}{rate}"],
            ],
            [70 * mm, width - 70 * mm],
            styles,
            header=False,
        ),
        KeepTogether(
            [
                Paragraph("Wellbeing and progress chart", styles["h2"]),
                _chart(report["progress"], width),
            ]
        ),
        Paragraph("Life domains: baseline and latest", styles["h2"]),
        _table(
            [["Life domain", "Baseline (1-10)", "Latest (1-10)"]]
            + [
                [_words(r["domain"]).capitalize(), _blank(r["baseline"]), _blank(r["latest"])]
                for r in report["domain_ratings"]
            ],
            [width / 2, width / 4, width / 4],
            styles,
        ),
        Paragraph("Outcome measures", styles["h2"]),
        _table(
            [["Measure", "Baseline", "Latest"]]
            + [
                [f"{m['name']} ({m['better']})", _measure(m["baseline"]), _measure(m["latest"])]
                for m in report["measures"]
            ],
            [width / 2, width / 4, width / 4],
            styles,
        ),
        Paragraph("Coach's summary", styles["h2"]),
        Paragraph(_text(report["notes"]["summary"] or "Not written yet."), styles["body"]),
        Paragraph("Recommendations", styles["h2"]),
        Paragraph(_text(report["notes"]["recommendations"] or "Not written yet."), styles["body"]),
    ]
    return story


def _plan_line(plan: dict) -> str:
    line = f"{_words(plan['status'])}, since {_day(plan['created_at'])}"
    if plan["review_due_on"]:
        line += f"; review due {_day(plan['review_due_on'])}"
    return line


def _goal_block(goal: dict, styles) -> list:
    facts = f"{_words(goal['domain']).capitalize()} · status: {_words(goal['status'])} · "
    facts += f"progress: {goal['progress']}%"
    if goal["target_date"]:
        facts += f" · target {_day(goal['target_date'])}"
    block = [Paragraph(_text(goal["title"]), styles["h3"]), Paragraph(_text(facts), styles["body"])]
    if goal["measure_of_success"]:
        block.append(
            Paragraph(
                "<b>Measure of success:</b> " + _text(goal["measure_of_success"]), styles["body"]
            )
        )
    for note in goal["notes"]:
        parts = [f"<i>{_text(_day(note['at']))}</i>"]
        if note["notes"]:
            parts.append(_text(note["notes"]))
        if note["obstacles"]:
            parts.append("Obstacles: " + _text(note["obstacles"]))
        if note["next_steps"]:
            parts.append("Next steps: " + _text(note["next_steps"]))
        block.append(Paragraph("<br/>".join(parts), styles["body"]))
    if goal["notes_not_shown"] and goal["notes"]:
        block.append(
            Paragraph(f"{goal['notes_not_shown']} earlier notes not shown.", styles["muted"])
        )
    elif goal["notes_not_shown"]:
        block.append(
            Paragraph(
                f"{goal['notes_not_shown']} check-in notes about this goal are not shown: the "
                f"report shows the {NOTES_PER_REPORT} most recent of all its goals.",
                styles["muted"],
            )
        )
    elif not goal["notes"]:
        block.append(Paragraph("No check-in notes about this goal in the period.", styles["muted"]))
    block.append(Spacer(1, 3 * mm))
    return block


def _chart(progress: dict, width: float) -> Image:
    png = charts.progress_png(progress, dpi=150)
    image = Image(io.BytesIO(png))
    scale = width / image.imageWidth
    image.drawWidth, image.drawHeight = width, image.imageHeight * scale
    return image


def _blank(value) -> str:
    return "" if value is None else str(value)
