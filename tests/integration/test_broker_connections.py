"""Long-lived broker connections stay up while idle: the relay answers heartbeats."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from shared.messaging import connection as connection_module
from tests.conftest import BACKEND
from tests.support.waiting import wait_for

pytestmark = pytest.mark.skipif(
    not BACKEND.startswith("rabbitmq"), reason="heartbeats are an AMQP feature"
)


def _unpublished(system, service="intake") -> int:
    from sqlalchemy import func, select

    runtime = system.runtimes[service]
    with runtime.session_factory() as session:
        return session.scalar(
            select(func.count())
            .select_from(runtime.outbox_model)
            .where(runtime.outbox_model.published_at.is_(None))
        )


def _failed_publish_attempts(system, service="intake") -> int:
    from sqlalchemy import func, select

    runtime = system.runtimes[service]
    with runtime.session_factory() as session:
        return session.scalar(select(func.sum(runtime.outbox_model.publish_attempts)))


def test_an_idle_relay_keeps_its_connection_and_publishes_at_once_after_a_quiet_spell(
    api, tenant, system, monkeypatch, caplog
):
    monkeypatch.setattr(connection_module, "HEARTBEAT_SECONDS", 2)
    relay = system.runtimes["intake"].relay()
    stop = threading.Event()
    thread = threading.Thread(target=relay.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        api.refer_client(tenant["token"])
        wait_for(lambda: _unpublished(system) == 0, timeout=10, what="the first publish")
        first_connection = relay._connection
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="shared.messaging.relay"):
            time.sleep(9)  # more than two heartbeat intervals of silence from our side
            api.refer_client(tenant["token"])
            wait_for(lambda: _unpublished(system) == 0, timeout=10, what="the second publish")
        kept_its_connection = relay._connection is first_connection
    finally:
        stop.set()
        thread.join(timeout=10)
    assert relay_log_is_quiet(caplog), [r.getMessage() for r in caplog.records]
    assert kept_its_connection
    # Published at the first attempt: no failed publish on a dead connection, no backoff.
    assert _failed_publish_attempts(system) == 0


def relay_log_is_quiet(caplog) -> bool:
    return not [r for r in caplog.records if r.levelno >= logging.INFO and "relay" in r.name]
