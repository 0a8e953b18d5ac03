"""The progress chart a coach would rather look at than read, drawn by matplotlib.

Four panels under a title naming the plan's period: wellbeing over time (check-ins and
the client's own ratings told apart), the share of steps completed each week on the
same dated axis, each goal's progress, and life-domain ratings at baseline against the
latest. The SVG carries ``<title>`` and ``<desc>`` for screen readers.
"""

from __future__ import annotations

import io
import re
import textwrap
import warnings
from datetime import UTC, date, datetime, time, timedelta
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")

from matplotlib import dates as mdates  # noqa: E402 - after choosing the backend
from matplotlib.figure import Figure  # noqa: E402

from services.plans.limits import GOALS_CHARTED  # noqa: E402

# A glyph the font lacks is drawn as a box; matplotlib's warning would name the character
# (of a client's goal, say) on stderr.
warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font", category=UserWarning)

WELLBEING_GID = "wellbeing-series"  # check-ins; the client's own ratings add "-client"
WELLBEING_LEGEND_GID = "wellbeing-legend"
COMPLETION_GID = "weekly-completion-series"
GOALS_GID = "goal-progress"
DOMAINS_GID = "domain-ratings"
SOURCES = {  # how each source of a wellbeing reading is drawn, and named in the legend
    "checkin": {"marker": "o", "label": "at a check-in", "gid": WELLBEING_GID},
    "client": {"marker": "^", "label": "client's own rating", "gid": f"{WELLBEING_GID}-client"},
}


def progress_svg(progress: dict) -> bytes:
    """The chart as SVG, with ``<title>`` and ``<desc>``; plotted series carry SVG ids
    (``gid``) so the points can be found in the markup."""
    buffer = io.BytesIO()
    # Text as <text> elements, not glyph outlines: readable, selectable and searchable.
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        _figure(progress).savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue().decode()
    title, desc = escape(chart_title(progress)), escape(describe(progress))
    opening = re.search(r"<svg[^>]*>", svg)
    accessible = f'\n <title id="chart-title">{title}</title>\n <desc>{desc}</desc>'
    svg = svg[: opening.end()] + accessible + svg[opening.end() :]
    svg = svg.replace("<svg ", '<svg role="img" aria-labelledby="chart-title" ', 1)
    return svg.encode()


def progress_png(progress: dict, dpi: int = 110) -> bytes:
    buffer = io.BytesIO()
    _figure(progress).savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def chart_title(progress: dict) -> str:
    start, end = _period(progress)
    if start is None:
        return "Recovery plan progress"
    return f"Recovery plan progress, {_day(start)} to {_day(end)}"


def describe(progress: dict) -> str:
    """What the chart shows, in words, for someone who cannot see it."""
    parts = []
    for source, style in SOURCES.items():
        points = [p for p in progress["wellbeing"] if p.get("source", "checkin") == source]
        if points:
            values = [p["wellbeing"] for p in points]
            if len(points) == 1:
                parts.append(
                    f"Wellbeing {style['label']}: 1 reading, {values[0]} out of 10 on "
                    f"{_day(points[0]['at'])}."
                )
                continue
            parts.append(
                f"Wellbeing {style['label']}: {_count(len(points), 'reading')} from "
                f"{min(values)} to {max(values)} out of 10, latest {values[-1]} on "
                f"{_day(points[-1]['at'])}."
            )
    if not progress["wellbeing"]:
        parts.append("No wellbeing recorded yet.")
    weeks = progress["weekly_completion"]
    due = sum(w["due"] for w in weeks)
    if due:
        done = sum(w["completed"] for w in weeks)
        parts.append(f"Steps completed: {done} of {due} over {_count(len(weeks), 'week')}.")
    goals = progress.get("goals", [])
    for goal in goals[:GOALS_CHARTED]:
        parts.append(f"Goal '{goal['title']}': {goal['progress']}% ({goal['status']}).")
    if len(goals) > GOALS_CHARTED:
        more = len(goals) - GOALS_CHARTED
        parts.append(f"{_count(more, 'more goal')} {'is' if more == 1 else 'are'} not charted.")
    for rating in progress.get("domain_ratings", []):
        parts.append(
            f"{rating['domain'].replace('_', ' ')}: baseline {rating['baseline']}, "
            f"latest {rating['latest']}."
        )
    return " ".join(parts)


def _figure(progress: dict) -> Figure:
    goals = progress.get("goals", [])[:GOALS_CHARTED]
    lower_height = max(2.6, 0.42 * max(len(goals), len(progress.get("domain_ratings", [])), 1))
    figure = Figure(figsize=(10, 6.2 + lower_height), layout="constrained")
    grid = figure.add_gridspec(3, 2, height_ratios=(3, 2, lower_height))
    wellbeing = figure.add_subplot(grid[0, :])
    completion = figure.add_subplot(grid[1, :], sharex=wellbeing)
    figure.suptitle(chart_title(progress), fontsize=14, fontweight="bold")
    _draw_wellbeing(wellbeing, progress)
    _draw_completion(completion, progress)
    start, end = _period(progress)
    if start is not None:  # the whole period, so one reading is not a full-width smear
        left, right = _moment(start) - timedelta(days=1), _moment(end) + timedelta(days=2)
        for week in progress["weekly_completion"]:  # and every week's bar whole
            monday = _moment(_monday(week["week"]))
            left, right = min(left, monday), max(right, monday + timedelta(days=7))
        wellbeing.set_xlim(left, right)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=9)
    for axes in (wellbeing, completion):
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        axes.tick_params(axis="x", labelbottom=True)
    _draw_goals(figure.add_subplot(grid[2, 0]), goals, len(progress.get("goals", [])))
    _draw_domains(figure.add_subplot(grid[2, 1]), progress.get("domain_ratings", []))
    return figure


def _count(number: int, noun: str) -> str:
    """ "1 reading", "3 readings"."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _draw_wellbeing(axes, progress: dict) -> None:
    axes.set_title("Wellbeing (1-10)", loc="left")
    axes.set_ylim(0.5, 10.5)
    axes.set_yticks(range(1, 11))
    axes.grid(axis="y", alpha=0.3)
    drawn = 0
    for source, style in SOURCES.items():
        points = [p for p in progress["wellbeing"] if p.get("source", "checkin") == source]
        if not points:
            continue
        (line,) = axes.plot(
            [p["at"] for p in points],
            [p["wellbeing"] for p in points],
            marker=style["marker"],
            markersize=7,
            linestyle="-" if source == "checkin" else ":",
            label=style["label"],
        )
        line.set_gid(style["gid"])
        drawn += 1
    if drawn > 1:
        axes.legend(loc="upper left", fontsize=9).set_gid(WELLBEING_LEGEND_GID)
    if not drawn:
        axes.text(0.5, 0.5, "no wellbeing recorded yet", ha="center", transform=axes.transAxes)


def _draw_completion(axes, progress: dict) -> None:
    axes.set_title("Steps completed each week (%)", loc="left")
    axes.set_ylim(0, 105)
    axes.grid(axis="y", alpha=0.3)
    weeks = progress["weekly_completion"]
    mondays = [_monday(w["week"]) for w in weeks]
    bars = axes.bar(
        [_moment(monday) + timedelta(days=3.5) for monday in mondays],
        [w["rate"] * 100 for w in weeks],
        width=5.5,  # days: a week's bar is a week wide, whatever the period
        color="#4c9a6a",
    )
    for index, bar in enumerate(bars):
        bar.set_gid(f"{COMPLETION_GID}-{index}")
    if not weeks:
        axes.text(0.5, 0.5, "no steps due yet", ha="center", transform=axes.transAxes)


def _draw_goals(axes, goals: list[dict], total: int) -> None:
    title = "Goals: progress (%)"
    if total > len(goals):
        title += f", the first {len(goals)} of {total}"
    axes.set_title(title, loc="left")
    axes.set_xlim(0, 100)
    if not goals:
        axes.text(0.5, 0.5, "no goals yet", ha="center", transform=axes.transAxes)
        axes.set_yticks([])
        return
    labels = [_short(g["title"]) + f"\n({g['status'].replace('_', ' ')})" for g in goals]
    positions = range(len(goals))
    bars = axes.barh(positions, [g["progress"] for g in goals], color="#3b6ea5")
    for index, bar in enumerate(bars):
        bar.set_gid(f"{GOALS_GID}-{index}")
    axes.set_yticks(positions, labels, fontsize=8)
    axes.invert_yaxis()


def _draw_domains(axes, ratings: list[dict]) -> None:
    axes.set_title("Life domains: baseline and latest (1-10)", loc="left")
    axes.set_xlim(0, 10)
    if not ratings:
        axes.text(0.5, 0.5, "no ratings", ha="center", transform=axes.transAxes)
        axes.set_yticks([])
        return
    positions = list(range(len(ratings)))
    axes.barh(
        [p - 0.2 for p in positions],
        [r["baseline"] or 0 for r in ratings],
        height=0.4,
        color="#b0b0b0",
        label="baseline",
    )
    latest = axes.barh(
        [p + 0.2 for p in positions],
        [r["latest"] or 0 for r in ratings],
        height=0.4,
        color="#e08a3c",
        label="latest",
    )
    for index, bar in enumerate(latest):
        bar.set_gid(f"{DOMAINS_GID}-latest-{index}")
    axes.set_yticks(positions, [r["domain"].replace("_", " ") for r in ratings], fontsize=8)
    axes.invert_yaxis()
    axes.legend(loc="lower right", fontsize=8)


def _period(progress: dict) -> tuple[date | None, date | None]:
    """The period the chart covers: given, or else spanned by what it shows."""
    period = progress.get("period") or {}
    moments = [p["at"] for p in progress["wellbeing"]] + [
        _moment(_monday(w["week"])) for w in progress["weekly_completion"]
    ]
    start = period.get("from") or (min(moments).date() if moments else None)
    end = period.get("to") or (max(moments).date() if moments else None)
    if start is None or end is None:
        return start or end, end or start
    return start, max(end, start)


def _monday(iso_week: str) -> date:
    year, week = iso_week.split("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _day(value: date | datetime) -> str:
    return f"{value.day} {value:%b %Y}"


def _short(title: str, width: int = 34) -> str:
    return textwrap.shorten(title, width=width, placeholder="…")
