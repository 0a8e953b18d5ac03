"""The progress chart a coach would rather look at than read, drawn by matplotlib."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

WELLBEING_GID = "wellbeing-series"
CLIENT_WELLBEING_GID = "client-wellbeing-series"
COMPLETION_GID = "weekly-completion-series"


def progress_svg(progress: dict) -> bytes:
    """Wellbeing over time and weekly action completion, as SVG.

    The plotted series carry SVG ids (``gid``) so the points can be found in the markup.
    """
    figure = Figure(figsize=(8, 6))
    wellbeing, completion = figure.subplots(2, 1)

    points = [p for p in progress["wellbeing"] if p.get("source", "checkin") == "checkin"]
    own = [p for p in progress["wellbeing"] if p.get("source") == "client"]
    wellbeing.set_title("Wellbeing at check-ins")
    wellbeing.set_ylim(0, 10.5)
    wellbeing.set_ylabel("wellbeing (1-10)")
    (line,) = wellbeing.plot(
        [p["at"] for p in points], [p["wellbeing"] for p in points], marker="o"
    )
    line.set_gid(WELLBEING_GID)
    if own:  # the client's own ratings, told apart from the coach's check-ins
        rated = wellbeing.scatter(
            [p["at"] for p in own], [p["wellbeing"] for p in own], marker="s", label="client"
        )
        rated.set_gid(CLIENT_WELLBEING_GID)
    if not points:
        wellbeing.text(
            0.5, 0.5, "no check-ins recorded yet", ha="center", transform=wellbeing.transAxes
        )
    figure.autofmt_xdate()

    weeks = progress["weekly_completion"]
    completion.set_title("Action steps completed per week")
    completion.set_ylim(0, 105)
    completion.set_ylabel("% completed")
    bars = completion.bar([w["week"] for w in weeks], [w["rate"] * 100 for w in weeks])
    for index, bar in enumerate(bars):
        bar.set_gid(f"{COMPLETION_GID}-{index}")
    figure.tight_layout()

    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
