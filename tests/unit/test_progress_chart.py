"""progress.svg is valid SVG whose plotted points are the wellbeing and completion series."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from services.plans.charts import COMPLETION_GID, WELLBEING_GID, progress_svg

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
