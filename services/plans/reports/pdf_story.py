"""The plan-review report's PDF content (reportlab flowables), section by section in the
order and the words of the HTML (``report_wording``).

Every heading is kept on the page of what follows it (``keepWithNext``, and a section's
heading and first block in one ``KeepTogether``), so no heading is left alone at the
foot of a page; each check-in note is printed once, under the check-ins, naming the
goals it discussed.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, Paragraph, Spacer, Table, TableStyle

from services.plans.reports import charts, wording

WIDTH = A4[0] - 36 * mm
day, words = wording.day, wording.words


def styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", base["BodyText"], fontName="DejaVuSans", fontSize=10, leading=13)
    return {
        "title": ParagraphStyle("title", base["Title"], fontName="DejaVuSans-Bold", fontSize=17),
        "h2": ParagraphStyle(
            "h2",
            base["Heading2"],
            fontName="DejaVuSans-Bold",
            fontSize=13,
            spaceBefore=10,
            keepWithNext=1,
        ),
        "h3": ParagraphStyle(
            "h3", base["Heading3"], fontName="DejaVuSans-Bold", fontSize=11, keepWithNext=1
        ),
        "body": body,
        "muted": ParagraphStyle("muted", body, textColor=colors.HexColor("#555555")),
        "quote": ParagraphStyle("quote", body, leftIndent=8 * mm),
        "cell": ParagraphStyle("cell", body, fontSize=9, leading=11, alignment=TA_LEFT),
    }


def text(value) -> str:
    """Plain text made safe for reportlab's paragraph markup; line breaks kept."""
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


def _table(rows, widths, styles, header=True) -> Table:
    cells = [[Paragraph(text(cell), styles["cell"]) for cell in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#bbbbbb")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(commands))
    return table


def _heading(title: str, level: str, blocks: list, styles) -> list:
    """The heading kept together with the first of its blocks; the rest after. A block
    is a flowable, or a list of them kept together (built here, never nested: a
    KeepTogether measures as endless inside another and would push the heading to a new
    page however much room is left)."""
    first, rest = (blocks[0] if blocks else []), blocks[1:]
    group = first if isinstance(first, list) else [first]
    kept = [KeepTogether([Paragraph(text(title), styles[level]), *group])]
    return kept + [KeepTogether(b) if isinstance(b, list) else b for b in rest]


def _lines(lines: list[str], styles, empty: str) -> list:
    if not lines:
        return [Paragraph(text(empty), styles["muted"])]
    return [Paragraph("• " + text(line), styles["body"]) for line in lines]


def flowables(report: dict, styles, who: str, period: str) -> list:
    """The whole report, in the order of ``wording.SECTIONS``."""
    by_section = {
        "Goals": _goals,
        "Check-ins and steps": _checkins,
        "Risk and safety": _risk,
        "In the participant's own words": _quotes,
        "Wellbeing and progress chart": _chart,
        "Life domains: baseline and latest": _domains,
        "Outcome measures": _measures,
        "Coach's summary": lambda r, s: _note(r["notes"]["summary"], s),
        "Recommendations": lambda r, s: _note(r["notes"]["recommendations"], s),
        "Plan for the next period": _next_period,
        "Sign-off": _sign_off,
    }
    story = [Paragraph("Recovery plan review: progress report", styles["title"])]
    story.append(_facts(report, styles, who, period))
    for title in wording.SECTIONS:
        story += _heading(title, "h2", by_section[title](report, styles), styles)
    return story


def _facts(report: dict, styles, who: str, period: str) -> Table:
    participant, coach = report["participant"], report["coach"]
    organisation, plan = report["organisation"], report["plan"]
    return _table(
        [
            ["Participant", who],
            ["External reference", participant["external_reference"] or "not recorded"],
            ["Period", period],
            ["Coach", coach["name"] or f"Staff member {coach['id']}"],
            ["Organisation", organisation["name"] or str(organisation["id"])],
            ["Plan", _plan_line(plan)],
            ["Prepared", day(report["prepared_on"])],
        ],
        [45 * mm, WIDTH - 45 * mm],
        styles,
        header=False,
    )


def _plan_line(plan: dict) -> str:
    line = f"{words(plan['status'])}, since {day(plan['created_at'])}"
    if plan["review_due_on"]:
        line += f"; review due {day(plan['review_due_on'])}"
    return line


def _goals(report: dict, styles) -> list:
    timezone = report["plan"]["timezone"]
    blocks = [_goal_block(goal, styles, timezone) for goal in report["goals"]]
    if not report["goals"]:
        blocks.append(Paragraph("No goals.", styles["muted"]))
    if report["goals_not_shown"]:
        shown, left_out = len(report["goals"]), report["goals_not_shown"]
        blocks.append(
            Paragraph(
                f"{left_out} more goals are not shown: the report shows the first {shown}.",
                styles["muted"],
            )
        )
    return blocks


def _goal_block(goal: dict, styles, timezone: str) -> list:
    facts = f"{words(goal['domain']).capitalize()} · status: {words(goal['status'])} · "
    facts += f"progress: {goal['progress']}%"
    if goal["target_date"]:
        facts += f" · target {day(goal['target_date'])}"
    block = [Paragraph(text(goal["title"]), styles["h3"]), Paragraph(text(facts), styles["body"])]
    if goal["measure_of_success"]:
        block.append(
            Paragraph(
                "<b>Measure of success:</b> " + text(goal["measure_of_success"]), styles["body"]
            )
        )
    if goal["discussed_at"]:
        days = ", ".join(wording.local_day(at, timezone) for at in goal["discussed_at"])
        seen = f"Discussed at {len(goal['discussed_at'])} check-ins in the period: {days}."
    else:
        seen = "Not discussed at a check-in in the period."
    block += [Paragraph(text(seen), styles["muted"]), Spacer(1, 3 * mm)]
    return block


def _checkins(report: dict, styles) -> list:
    attendance, steps = report["attendance"], report["steps"]
    timezone = report["plan"]["timezone"]
    rate = f" ({round(100 * steps['completed'] / steps['due'])}%)" if steps["due"] else ""
    blocks = [
        _table(
            [
                ["Check-ins attended", attendance["attended"]],
                ["Check-ins missed", attendance["missed"]],
                ["Check-ins cancelled", attendance["cancelled"]],
                ["Hours of support delivered", wording.hours(report["hours_delivered"])],
                ["Action steps completed", f"{steps['completed']} of {steps['due']}{rate}"],
            ],
            [70 * mm, WIDTH - 70 * mm],
            styles,
            header=False,
        )
    ]
    listed = []
    if report["checkins_not_listed"]:
        listed.append(
            Paragraph(
                f"The {len(report['checkins'])} most recent; "
                f"{report['checkins_not_listed']} earlier not listed.",
                styles["muted"],
            )
        )
    if report["checkins"]:
        rows = [
            [
                wording.local_day(c["at"], timezone),
                words(c["mode"]),
                c["duration_minutes"],
                c["outcome"],
                "" if c["wellbeing"] is None else c["wellbeing"],
            ]
            for c in report["checkins"]
        ]
        listed.append(_table([list(wording.CHECKIN_COLUMNS), *rows], [WIDTH / 5] * 5, styles))
    else:
        listed.append(Paragraph("No check-ins in the period.", styles["muted"]))
    blocks += _heading(wording.CHECKINS_TABLE, "h3", listed, styles)
    blocks += _heading(wording.CHECKIN_NOTES, "h3", _checkin_notes(report, styles), styles)
    return blocks


def _checkin_notes(report: dict, styles) -> list:
    timezone = report["plan"]["timezone"]
    blocks = []
    if report["checkin_notes_not_shown"]:
        blocks.append(
            Paragraph(
                f"The {len(report['checkin_notes'])} most recent; "
                f"{report['checkin_notes_not_shown']} earlier notes not shown.",
                styles["muted"],
            )
        )
    for note in report["checkin_notes"]:
        head = f"<i>{text(wording.local_day(note['at'], timezone))}</i>"
        if note["goals"]:
            head += text(f" (goals discussed: {'; '.join(note['goals'])})")
        parts = [head + (": " + text(note["notes"]) if note["notes"] else "")]
        if note["obstacles"]:
            parts.append("Obstacles: " + text(note["obstacles"]))
        if note["next_steps"]:
            parts.append("Next steps: " + text(note["next_steps"]))
        blocks.append(Paragraph("<br/>".join(parts), styles["body"]))
    if not report["checkin_notes"]:
        blocks.append(Paragraph("No check-in notes in the period.", styles["muted"]))
    return blocks


def _risk(report: dict, styles) -> list:
    risk, timezone = report["risk"], report["plan"]["timezone"]
    blocks = [Paragraph(text(wording.risk_counts(risk)), styles["body"])]
    for title, lines in (
        ("Risk flags", [wording.flag_line(f, timezone) for f in risk["flags"]]),
        (
            "Crisis messages and their handling",
            [wording.crisis_line(m, timezone) for m in risk["crisis_messages"]],
        ),
        (
            "Low wellbeing ratings",
            [wording.low_rating_line(r, timezone) for r in risk["low_ratings"]],
        ),
    ):
        if lines:
            blocks += _heading(title, "h3", _lines(lines, styles, ""), styles)
    now = "is flagged at risk now." if risk["flagged_now"] else "is not flagged at risk now."
    blocks.append(Paragraph(text("The plan " + now), styles["muted"]))
    return blocks


def _quotes(report: dict, styles) -> list:
    timezone = report["plan"]["timezone"]
    blocks = [
        [
            Paragraph(text(wording.quote_line(entry, timezone)), styles["muted"]),
            Paragraph(text(entry["text"]), styles["quote"]),
        ]
        for entry in report["quoted_entries"]
    ]
    return blocks or [
        Paragraph("The coach has not chosen journal entries to quote.", styles["muted"])
    ]


def _chart(report: dict, styles) -> list:
    png = charts.progress_png(report["progress"], dpi=150)
    image = Image(io.BytesIO(png))
    scale = WIDTH / image.imageWidth
    image.drawWidth, image.drawHeight = WIDTH, image.imageHeight * scale
    return [image, Paragraph(text(charts.chart_title(report["progress"])), styles["muted"])]


def _domains(report: dict, styles) -> list:
    if not report["domain_ratings"]:
        return [Paragraph("No domain ratings.", styles["muted"])]
    rows = [
        [words(r["domain"]).capitalize(), _blank(r["baseline"]), _blank(r["latest"])]
        for r in report["domain_ratings"]
    ]
    header = ["Life domain", "Baseline (1-10)", "Latest (1-10)"]
    return [_table([header, *rows], [WIDTH / 2, WIDTH / 4, WIDTH / 4], styles)]


def _measures(report: dict, styles) -> list:
    rows = [
        [
            f"{m['name']} ({m['better']})",
            wording.measure(m["baseline"]),
            wording.measure(m["latest"]),
        ]
        for m in report["measures"]
    ]
    header = ["Measure", "Baseline", "Latest"]
    return [_table([header, *rows], [WIDTH / 2, WIDTH / 4, WIDTH / 4], styles)]


def _note(value, styles) -> list:
    return [Paragraph(text(value or "Not written yet."), styles["body"])]


def _next_period(report: dict, styles) -> list:
    upcoming, timezone = report["next_period"], report["plan"]["timezone"]
    blocks = [
        Paragraph(
            text(f"The {upcoming['weeks']} weeks from {day(report['prepared_on'])}."),
            styles["body"],
        )
    ]
    for title, lines, empty in (
        ("Open goals", [wording.open_goal_line(g) for g in upcoming["goals"]], "No open goals."),
        (
            "Check-ins scheduled",
            [wording.next_checkin_line(c, timezone) for c in upcoming["checkins"]],
            "No check-ins scheduled.",
        ),
        (
            "Action steps due",
            [wording.next_step_line(s, timezone) for s in upcoming["steps"]],
            "No action steps due.",
        ),
    ):
        blocks += _heading(title, "h3", _lines(lines, styles, empty), styles)
    return blocks


def _sign_off(report: dict, styles) -> list:
    return [[Paragraph(text(line), styles["body"]) for line in wording.sign_off_lines(report)]]


def _blank(value) -> str:
    return "" if value is None else str(value)
