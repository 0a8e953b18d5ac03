"""The alerting rules are valid Prometheus rules, their unit tests pass under the real
rule checker, and every metric they name is one the processes actually serve."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from shared import metrics
from tests.support.tools import required_tool

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
# Served by every API (shared/web/app.py) or by Prometheus itself.
OTHER_METRICS = {"http_requests_total", "up"}


def _promtool(*args: str) -> subprocess.CompletedProcess:
    promtool = required_tool("promtool", "checking the alerting rules (Debian's prometheus)")
    return subprocess.run(
        [promtool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
    )


def test_the_rules_pass_promtool_check():
    result = _promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_unit_tests_pass_promtool_test():
    result = _promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_metric_an_alert_names_is_served():
    served = set(OTHER_METRICS) | {
        "coaching_outbox_backlog",
        "coaching_outbox_oldest_age_seconds",
        "coaching_queue_messages",
    }
    for value in vars(metrics).values():
        name = getattr(value, "_name", None)
        if name:
            served |= {name, f"{name}_total", f"{name}_bucket"}
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            for name in re.findall(r"\b(coaching_[a-z_]+|http_[a-z_]+)\b", rule["expr"]):
                assert name in served, f"{rule['alert']} names {name}, which nothing serves"
