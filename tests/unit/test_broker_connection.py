"""Connections to a RabbitMQ cluster: every node in BROKER_URL, each connection starting at
a random one (so connections spread over the cluster) and failing over to the others."""

from __future__ import annotations

import dataclasses

from kombu.connection import failover_strategies

from coaching.registry import load_settings
from shared.messaging.connection import HEARTBEAT_SECONDS, broker_connection

NODES = [
    "amqp://u:p@rabbit-0:5672//",
    "amqp://u:p@rabbit-1:5672//",
    "amqp://u:p@rabbit-2:5672//",
]


def test_a_cluster_url_starts_each_connection_at_a_random_node(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    settings = dataclasses.replace(load_settings(), broker_url=";".join(NODES))
    connection = broker_connection(settings)
    assert connection.heartbeat == HEARTBEAT_SECONDS
    # Every node is there to fail over to, in turn.
    assert connection.failover_strategy is failover_strategies["round-robin"]
    assert sorted(connection.alt) == sorted(NODES)
    # The node a connection tries first differs from one connection to the next.
    firsts = {broker_connection(settings).hostname for _ in range(40)}
    assert firsts == {"rabbit-0", "rabbit-1", "rabbit-2"}
