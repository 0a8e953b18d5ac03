"""The topology module: one queue per service, bound from its handler table."""

from __future__ import annotations

import pytest

from coaching.registry import load_settings
from shared.messaging.topology import Topology


@pytest.fixture
def topology(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    return Topology(load_settings())


def test_each_service_queue_is_bound_to_its_events_and_to_its_own_name(topology):
    queue = topology.queue("plans")
    keys = {(b.exchange.name, b.routing_key) for b in queue.bindings}
    assert ("coaching.events", "client.onboarded") in keys
    assert ("coaching.events.direct", "plans.events") in keys
    assert queue.durable


def test_every_queue_and_dead_letter_queue_is_declared(topology):
    names = {q.name for q in topology.all_queues()}
    assert names == {
        f"{s}.{k}" for s in ("intake", "plans", "notifications") for k in ("events", "dead")
    }


def test_quorum_queues_have_a_delivery_limit_and_dead_letter_exchange(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("QUEUE_TYPE", "quorum")
    arguments = Topology(load_settings()).queue("notifications").queue_arguments
    assert arguments["x-queue-type"] == "quorum"
    assert arguments["x-delivery-limit"] > 0
    assert arguments["x-dead-letter-routing-key"] == "notifications.dead"


def test_unknown_queue_type_is_a_configuration_error(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("QUEUE_TYPE", "fancy")
    with pytest.raises(ValueError, match="QUEUE_TYPE"):
        load_settings()
