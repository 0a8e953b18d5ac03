"""make run's per-process restarter: a crash is restarted, a crash loop is given up on."""

from __future__ import annotations

import sys

from coaching import restarting


def _script(tmp_path, exit_codes: list[int]) -> list[str]:
    """A process that appends a line to a file per run and exits with the next code."""
    runs = tmp_path / "runs"
    code = (
        "import pathlib, sys\n"
        f"p = pathlib.Path({str(runs)!r})\n"
        "n = len(p.read_text().splitlines()) if p.exists() else 0\n"
        "p.write_text('x\\n' * (n + 1))\n"
        f"sys.exit({exit_codes!r}[min(n, {len(exit_codes) - 1})])\n"
    )
    return [sys.executable, "-c", code]


def _runs(tmp_path) -> int:
    return len((tmp_path / "runs").read_text().splitlines())


def test_a_process_that_dies_is_started_again_until_it_exits_cleanly(tmp_path, monkeypatch):
    monkeypatch.setattr(restarting, "MAX_PAUSE_SECONDS", 0.01)
    assert restarting.keep_running("worker", _script(tmp_path, [1, 1, 0])) == 0
    assert _runs(tmp_path) == 3


def test_a_process_that_keeps_dying_is_given_up_on(tmp_path, monkeypatch):
    monkeypatch.setattr(restarting, "MAX_PAUSE_SECONDS", 0.01)
    monkeypatch.setattr(restarting, "MAX_RESTARTS", 2)
    assert restarting.keep_running("worker", _script(tmp_path, [3])) == 3
    assert _runs(tmp_path) == 3  # the first run and two restarts
