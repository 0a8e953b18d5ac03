"""The alerting rules are valid Prometheus rules, their unit tests pass under the real
rule checker and cover every alert, every metric they name is one the processes
actually serve, none falls silent when its series goes missing, and each links to its
runbook in deploy/README.md."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from shared import metrics
from tests.support.tools import required_tool

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
# Served by every API (shared/web/app.py) or by Prometheus itself.
OTHER_METRICS = {"http_requests_total", "up"}
RUNBOOKS = "https://git.example.org/recovery-coaching/blob/main/deploy/README.md"
# Gauges a process reads at scrape time and leaves out when it cannot (the database or
# the broker away), or sets only once it has done its work: missing, they must not
# silence the alerts on them.
GUARDED = (
    "coaching_outbox_oldest_age_seconds",
    "coaching_queue_messages",
    "coaching_scheduler_last_success_timestamp_seconds",
)


def _rules() -> list[dict]:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors of the headings of ``markdown``."""
    return {
        re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in markdown.splitlines()
        if line.startswith("#")
    }


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


def test_every_alert_is_seen_firing_in_the_unit_tests():
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {rule["alert"] for rule in _rules()} - fired == set()


def test_every_alert_links_to_its_runbook_in_the_deploy_readme():
    anchors = _anchors((ROOT / "deploy" / "README.md").read_text())
    for rule in _rules():
        annotations = rule["annotations"]
        assert "runbook" not in annotations, rule["alert"]
        link = annotations["runbook_url"]
        assert link == f"{RUNBOOKS}#{rule['alert'].lower()}", rule["alert"]
        assert link.split("#")[1] in anchors, f"deploy/README.md has no section {link}"


def test_no_alert_falls_silent_when_the_series_it_watches_goes_missing():
    rules = _rules()
    for metric in GUARDED:
        watching = [rule for rule in rules if metric in rule["expr"]]
        assert watching, metric
        assert any(f"absent({metric}" in rule["expr"] for rule in watching), (
            f"no absent() guard on {metric}"
        )
    [stalled] = [rule for rule in rules if rule["alert"] == "SchedulerStalled"]
    assert "absent(coaching_scheduler_last_success_timestamp_seconds)" in stalled["expr"]


def test_the_scrape_configuration_passes_promtool_check(tmp_path):
    """Debian's promtool is built without Kubernetes discovery: the pod discovery is
    swapped for file discovery, and the rest (relabelling, rule files) checked as is."""
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    for scrape in config["scrape_configs"]:
        assert scrape.pop("kubernetes_sd_configs")[0]["role"] == "pod"
        scrape["file_sd_configs"] = [{"files": [str(tmp_path / "targets.json")]}]
    config["rule_files"] = [str(PROMETHEUS / name) for name in config["rule_files"]]
    checked = tmp_path / "prometheus.yml"
    checked.write_text(yaml.safe_dump(config))
    result = _promtool("check", "config", str(checked))
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
    for rule in _rules():
        for name in re.findall(r"\b(coaching_[a-z_]+|http_[a-z_]+)\b", rule["expr"]):
            assert name in served, f"{rule['alert']} names {name}, which nothing serves"
