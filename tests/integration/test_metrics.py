"""Workers, relays, the dispatcher and the scheduler serve the metrics an operator pages on:
outbox backlog and age, queue and dead-letter depth, events handled, outages and
reconnects."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from shared.messaging.backlogs import OutboxBacklog, QueueDepths
from shared.messaging.topology import Topology
from shared.metrics import reason_kind
from tests.integration.test_dead_letters import _onboarded_envelope, _publish
from tests.support.smtp import free_port
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]


def _samples(collector) -> dict:
    registry = CollectorRegistry()
    registry.register(collector)
    text = generate_latest(registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_outbox_backlog_and_the_age_of_its_oldest_row(api, tenant, system):
    runtime = system.runtimes["intake"]
    collector = OutboxBacklog(
        "intake", runtime.session_factory, runtime.outbox_model, clock=runtime.now
    )
    api.refer_client(tenant["token"])

    before = _samples(collector)
    assert before[("coaching_outbox_backlog", (("service", "intake"),))] >= 1
    assert before[("coaching_outbox_oldest_age_seconds", (("service", "intake"),))] >= 0

    system.relay()
    after = _samples(collector)
    assert after[("coaching_outbox_backlog", (("service", "intake"),))] == 0
    assert after[("coaching_outbox_oldest_age_seconds", (("service", "intake"),))] == 0


def test_queue_and_dead_letter_depths(system, settings):
    import json
    import uuid

    topology = Topology(settings)
    queue, dead = topology.queue_name("plans"), topology.dead_letter_queue_name("plans")
    collector = QueueDepths(settings, {queue: queue, dead: dead})
    for _ in range(3):
        _publish(settings, json.dumps(_onboarded_envelope(str(uuid.uuid4()))).encode())
    wait_for(
        lambda: _samples(collector)[("coaching_queue_messages", (("queue", queue),))] == 3,
        timeout=10,
        what="three messages counted in the plans queue",
    )
    assert _samples(collector)[("coaching_queue_messages", (("queue", dead),))] == 0


def test_a_nudge_reason_becomes_a_bounded_label():
    assert reason_kind("suppressed:stop") == "suppressed:stop"
    assert reason_kind("undelivered: provider error 30005") == "undelivered"
    assert reason_kind(None) == "none"


def test_a_relay_process_serves_its_metrics_on_metrics_port(tmp_path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_DATABASE_URL") and k not in ("BROKER_URL",)
    }
    env |= {
        "VAR_DIR": str(tmp_path / "var"),
        "METRICS_PORT": str(port),
        "COACHING_MODE": "embedded",
    }
    coaching = [sys.executable, "-m", "coaching"]
    subprocess.run([*coaching, "migrate", "intake"], cwd=REPO, env=env, check=True, timeout=120)
    relay = subprocess.Popen(
        [*coaching, "relay", "intake"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        text = wait_for(
            lambda: _get(f"http://127.0.0.1:{port}/metrics"), timeout=30, what="/metrics"
        )
    finally:
        relay.terminate()
        relay.wait(timeout=30)
    assert 'coaching_outbox_backlog{service="intake"} 0.0' in text
    assert "coaching_outbox_oldest_age_seconds" in text
    assert "coaching_broker_reconnects_total" in text


def _get(url: str) -> str | None:
    try:
        response = requests.get(url, timeout=2)
    except requests.RequestException:
        return None
    return response.text if response.status_code == 200 else None
