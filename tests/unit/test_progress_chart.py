"""progress.svg is valid SVG whose plotted points are the wellbeing and completion series."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

from services.plans.reports.charts import (
    COMPLETION_GID,
    WELLBEING_GID,
    WELLBEING_LEGEND_GID,
    progress_png,
    progress_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _progress(scores, rates):
    start = datetime(2026, 3, 2, tzinfo=UTC)
    return {
        "wellbeing": [
            {"at": start + timedelta(days=7 * i), "wellbeing": s} for i, s in enumerate(scores)
        ],
        "weekly_completion": [
            {"week": f"2026-W{10 + i}", "due": 4, "completed": int(r * 4), "rate": r}
            for i, r in enumerate(rates)
        ],
    }


def _by_id(root, element_id):
    return next(e for e in root.iter() if e.get("id") == element_id)


def test_wellbeing_points_are_plotted_in_order_and_to_scale():
    scores = [4, 6, 3, 8]
    root = ET.fromstring(progress_svg(_progress(scores, [0.5, 1.0])))
    assert root.tag == f"{SVG}svg"
    markers = [u for u in _by_id(root, WELLBEING_GID).iter(f"{SVG}use")]
    assert len(markers) == len(scores)
    xs = [float(m.get("x")) for m in markers]
    ys = [float(m.get("y")) for m in markers]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    # SVG y grows downwards: a higher score sits higher; spacing is linear in the score
    scale = (ys[0] - ys[1]) / (scores[1] - scores[0])
    assert scale > 0
    for y, score in zip(ys, scores, strict=True):
        assert abs((ys[0] - y) - (score - scores[0]) * scale) < 0.01


def test_weekly_completion_bars_have_heights_proportional_to_the_rate():
    root = ET.fromstring(progress_svg(_progress([5], [0.25, 1.0, 0.5])))
    heights = []
    for index in range(3):
        path = next(_by_id(root, f"{COMPLETION_GID}-{index}").iter(f"{SVG}path"))
        ys = [
            float(v)
            for v in path.get("d")
            .replace("M", " ")
            .replace("L", " ")
            .replace("z", " ")
            .split()[1::2]
        ]
        heights.append(max(ys) - min(ys))
    assert abs(heights[1] / heights[0] - 4) < 0.01
    assert abs(heights[2] / heights[0] - 2) < 0.01


def test_an_empty_plan_still_draws_a_valid_chart():
    root = ET.fromstring(progress_svg(_progress([], [])))
    assert root.tag == f"{SVG}svg"


# -- a chart worth reading ----------------------------------------------------------------


def _readable(points, first=date(2026, 3, 2), last=date(2026, 5, 25)):
    return {
        "period": {"from": first, "to": last},
        "wellbeing": points,
        "weekly_completion": [{"week": "2026-W10", "due": 4, "completed": 3, "rate": 0.75}],
        "goals": [
            {"title": "Join a <walking> group & keep going", "status": "active", "progress": 40}
        ],
        "domain_ratings": [{"domain": "mental_health", "baseline": 4, "latest": 6}],
    }


def _point(day: int, value: int, source: str) -> dict:
    return {"at": datetime(2026, 3, day, 1, tzinfo=UTC), "wellbeing": value, "source": source}


def _tick_labels(root) -> list[str]:
    """The text of the x-axis tick labels."""
    return [
        "".join(text.itertext()).strip()
        for group in root.iter(f"{SVG}g")
        if (group.get("id") or "").startswith("xtick_")
        for text in group.iter(f"{SVG}text")
    ]


def test_the_svg_has_a_title_naming_the_period_and_a_description():
    svg = progress_svg(_readable([_point(3, 5, "checkin")]))
    root = ET.fromstring(svg)
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Recovery plan progress, 2 Mar 2026 to 25 May 2026"
    assert "Wellbeing at a check-in: 1 reading, 5 out of 10 on 3 Mar 2026." in desc.text
    assert "Steps completed: 3 of 4 over 1 week." in desc.text
    assert "Join a <walking> group & keep going" in desc.text  # escaped in the markup
    assert b"&lt;walking&gt; group &amp; keep going" in svg
    assert root.get("aria-labelledby") == title.get("id")


def test_the_time_axis_carries_dates():
    root = ET.fromstring(progress_svg(_readable([_point(3, 5, "checkin")])))
    labels = set(_tick_labels(root))
    assert {"Mar", "Apr", "May"} <= labels, labels  # the period's months, not one squashed day


def test_check_ins_and_the_clients_own_ratings_are_two_series_with_a_legend():
    both = [_point(3, 5, "checkin"), _point(5, 7, "client"), _point(10, 6, "checkin")]
    svg = progress_svg(_readable(both))
    root = ET.fromstring(svg)
    checkins = list(_by_id(root, WELLBEING_GID).iter(f"{SVG}use"))
    own = list(_by_id(root, f"{WELLBEING_GID}-client").iter(f"{SVG}use"))
    assert (len(checkins), len(own)) == (2, 1)
    # different markers: each series' marker is its own path definition
    assert checkins[0].get(XLINK_HREF) != own[0].get(XLINK_HREF)
    legend = _by_id(root, WELLBEING_LEGEND_GID)
    assert {"at a check-in", "client's own rating"} <= set(legend.itertext())
    # one source alone needs no legend
    alone = ET.fromstring(progress_svg(_readable([_point(3, 5, "checkin")])))
    assert not any(e.get("id") == WELLBEING_LEGEND_GID for e in alone.iter())


def test_a_year_of_readings_and_a_single_one_both_draw(tmp_path):
    year = [
        {"at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=3 * i), "wellbeing": 1 + i % 10}
        for i in range(122)
    ]
    wide = _readable(year, date(2026, 1, 1), date(2026, 12, 31))
    root = ET.fromstring(progress_svg(wide))
    assert len(list(_by_id(root, WELLBEING_GID).iter(f"{SVG}use"))) == 122
    months = {f"{date(2026, m, 1):%b}" for m in range(1, 13)}
    assert len(months & set(_tick_labels(root))) >= 4  # spread over the year
    png = progress_png(_readable([_point(3, 5, "checkin")]))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_period_starting_midweek_shows_its_first_weeks_bar_whole():
    import matplotlib.dates as mdates

    from services.plans.reports.charts import _figure

    progress = _readable([_point(4, 5, "checkin")], first=date(2026, 3, 4))  # a Wednesday
    figure = _figure(progress)
    completion = figure.axes[1]
    left, right = (mdates.num2date(x) for x in completion.get_xlim())
    [bar] = completion.patches
    assert left <= mdates.num2date(bar.get_x())
    assert mdates.num2date(bar.get_x() + bar.get_width()) <= right
