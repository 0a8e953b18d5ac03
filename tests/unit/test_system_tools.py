"""`make test` works for every developer: where promtool or Chromium cannot be installed
(no root, macOS) `.ci/system-deps` says so and lets the run go on, and the tests that need
them are skipped; under CI (`CI=true`) both are failures."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.tools import required_tool

SYSTEM_DEPS = Path(__file__).resolve().parents[2] / ".ci" / "system-deps"


def _as_a_developer_without_root(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """``.ci/system-deps`` for a user who is not root, on a PATH without promtool."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "bash").symlink_to("/bin/bash")
    (bin_dir / "id").write_text("#!/bin/sh\necho 1000\n")
    (bin_dir / "id").chmod(0o755)
    return subprocess.run(
        [str(SYSTEM_DEPS)],
        env={"PATH": str(bin_dir), **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_system_deps_lets_a_developer_without_root_go_on_and_says_what_is_skipped(tmp_path):
    done = _as_a_developer_without_root(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "prometheus" in done.stderr
    assert "skipped" in done.stderr


def test_system_deps_fails_under_ci_when_it_cannot_install_them(tmp_path):
    done = _as_a_developer_without_root(tmp_path, CI="true")
    assert done.returncode == 1
    assert "missing system packages: prometheus" in done.stderr


def test_a_missing_tool_skips_its_test_on_a_developers_machine(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-tool is missing"):
        required_tool("no-such-tool", "this test")


def test_a_missing_tool_fails_its_test_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no-such-tool is missing"):
        required_tool("no-such-tool", "this test")
    with pytest.raises(pytest.fail.Exception):
        required_tool("/no/such/chromium", "this test")


def test_a_present_tool_is_found(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert os.path.basename(required_tool("sh", "this test")) == "sh"
