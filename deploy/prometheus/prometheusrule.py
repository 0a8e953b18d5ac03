"""Print the monitoring component's PrometheusRule, made from the alerting rules.

    python deploy/prometheus/prometheusrule.py > deploy/k8s/components/monitoring/prometheusrule.yaml

``deploy/prometheus/alerts.yml`` is the one source of the rules (checked and unit-tested
with promtool); the Prometheus Operator takes them wrapped in a PrometheusRule. The suite
(tests/unit/test_kubernetes_manifests.py) fails when the two differ: run this after
changing the rules.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ALERTS = Path(__file__).resolve().parent / "alerts.yml"
HEADER = (
    "# Generated from deploy/prometheus/alerts.yml by deploy/prometheus/prometheusrule.py:\n"
    "# change the rules there, then run it again. Do not edit by hand.\n"
)


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def prometheus_rule(alerts: Path = ALERTS) -> str:
    """The PrometheusRule holding every group of ``alerts``, as YAML text."""
    groups = yaml.safe_load(alerts.read_text())["groups"]
    document = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "recovery-coaching",
            "labels": {"app.kubernetes.io/name": "recovery-coaching"},
        },
        "spec": {"groups": groups},
    }
    return HEADER + yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=120)


if __name__ == "__main__":
    sys.stdout.write(prometheus_rule())
