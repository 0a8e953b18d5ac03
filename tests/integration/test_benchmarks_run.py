"""Every benchmark runs once with a tiny size so none of them rots (no speed asserted)."""

from __future__ import annotations

import json
import math

import pytest

from bench import __main__ as bench_main
from bench import harness


@pytest.mark.long
def test_every_benchmark_runs_and_reports_its_figures(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(harness, "RESULTS_DIR", tmp_path / "results")
    rows = bench_main.main(["--n", "1"])

    assert {row.benchmark for row in rows} == {
        "relay",
        "consumer",
        "end-to-end",
        "memory",
        "api",
        "dispatcher",
        "scale-out",
        "replies",
        "burst",
        "plans-scheduler",
        "growth",
    }
    for row in rows:
        assert math.isfinite(row.ours), row
        if row.baseline is not None:
            assert row.baseline > 0 and math.isfinite(row.ratio), row
    lost = next(r for r in rows if r.metric == "welcome emails lost")
    assert lost.ours == 0
    replies_lost = next(r for r in rows if r.metric == "replies lost")
    assert replies_lost.ours == 0
    for burst in (r for r in rows if r.benchmark == "burst" and r.unit == "count"):
        assert burst.ours == 0, burst.metric  # none lost or sent twice, the cap kept
    [written] = (tmp_path / "results").glob("bench-*.json")
    assert len(json.loads(written.read_text())["rows"]) == len(rows)
    assert "ratio" in capsys.readouterr().out
