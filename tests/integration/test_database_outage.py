"""A worker rides out its database refusing connections: it holds its messages, backs off
and handles them once the database is back, burning no delivery attempt and parking
nothing; the worker never dies."""

from __future__ import annotations

import json
import threading
import time
import uuid

import psycopg
import pytest
from sqlalchemy import func, select

from shared.messaging import deadletters
from tests.conftest import BACKEND
from tests.integration.test_dead_letters import _onboarded_envelope, _plan_count, _publish
from tests.support.infra import PG_ADMIN_DSN
from tests.support.waiting import wait_for

pytestmark = pytest.mark.skipif(
    not BACKEND.startswith("rabbitmq"), reason="makes PostgreSQL refuse connections"
)


def refuse_connections(database_url: str, refuse: bool) -> None:
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(not refuse)}')
        if refuse:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )


def _retries_written(system) -> int:
    from services.plans.models import Outbox

    with system.runtimes["plans"].session_factory() as session:
        return session.scalar(
            select(func.count()).select_from(Outbox).where(Outbox.routing_key.like("%plans%"))
        )


def test_a_worker_holds_its_messages_through_a_database_outage_and_then_handles_each_once(
    system, settings
):
    from prometheus_client import REGISTRY

    def outages() -> float:
        labels = {"service": "plans", "process": "worker"}
        return REGISTRY.get_sample_value("coaching_database_unavailable_total", labels) or 0

    outages_before = outages()
    database_url = settings.database_url("plans")
    worker = system.runtimes["plans"].worker()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_until, args=(stop,), daemon=True)
    thread.start()
    tenant_id = str(uuid.uuid4())
    bodies = [json.dumps(_onboarded_envelope(tenant_id)).encode() for _ in range(5)]
    try:
        refuse_connections(database_url, refuse=True)
        for body in bodies:
            _publish(settings, body)
        time.sleep(4)  # the outage: several failed attempts and back-offs
        assert thread.is_alive(), "the worker died while its database was down"
        refuse_connections(database_url, refuse=False)

        wait_for(lambda: _plan_count(system) == 5, timeout=30, what="the held events handled")
        assert thread.is_alive()
    finally:
        refuse_connections(database_url, refuse=False)
        stop.set()
        thread.join(timeout=10)

    assert outages() > outages_before  # an operator sees the outage in the metrics
    # No attempt was burned on the outage: no retry was scheduled, nothing parked.
    assert _retries_written(system) == 0
    assert deadletters.peek(settings, "plans") == []
    # Delivered again, they change nothing (the inbox has each).
    for body in bodies:
        _publish(settings, body)
    assert system.consume("plans") == 5
    assert _plan_count(system) == 5


def test_a_failing_handler_whose_retry_cannot_be_written_is_held_not_lost(
    system, settings, monkeypatch
):
    """The retry path itself meets the outage (the handler failed, then the database went
    away): the worker keeps the message and handles it when the database returns."""
    from services.plans.drafting import draft_plan_from_onboarding

    database_url = settings.database_url("plans")
    failed_once = []

    def fails_then_the_database_goes(envelope, uow):
        if not failed_once:
            failed_once.append(envelope.id)
            refuse_connections(database_url, refuse=True)
            raise RuntimeError("plan store hiccup")
        return draft_plan_from_onboarding(envelope, uow)

    processor = system.processors["plans"]
    monkeypatch.setitem(processor.handlers, "client.onboarded", fails_then_the_database_goes)
    worker = system.runtimes["plans"].worker()
    worker.processor = processor
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_until, args=(stop,), daemon=True)
    thread.start()
    try:
        _publish(settings, json.dumps(_onboarded_envelope(str(uuid.uuid4()))).encode())
        wait_for(lambda: failed_once, timeout=15, what="the first, failing attempt")
        time.sleep(2)
        assert thread.is_alive(), "the worker died writing a retry to an unreachable database"
        refuse_connections(database_url, refuse=False)
        wait_for(lambda: _plan_count(system) == 1, timeout=30, what="the held event handled")
    finally:
        refuse_connections(database_url, refuse=False)
        stop.set()
        thread.join(timeout=10)
    assert deadletters.peek(settings, "plans") == []


def test_an_api_whose_database_is_down_answers_503_with_retry_after_and_recovers(
    api, tenant, settings
):
    client = api.refer_client(tenant["token"])
    database_url = settings.database_url("intake")
    try:
        refuse_connections(database_url, refuse=True)
        for method, path, body in (
            ("GET", f"/v1/clients/{client['id']}", None),
            ("GET", "/v1/clients", None),
            (
                "POST",
                "/v1/clients",
                {"given_name": "Robin", "family_name": "Lee", "timezone": "UTC"},
            ),
        ):
            reply = api.call("intake", method, path, tenant["token"], json=body)
            assert reply.status == 503, (path, reply.status, reply.body)
            assert reply.headers["Content-Type"] == "application/problem+json"
            assert int(reply.headers["Retry-After"]) > 0
    finally:
        refuse_connections(database_url, refuse=False)
    assert api.call("intake", "GET", f"/v1/clients/{client['id']}", tenant["token"]).status == 200


def test_a_relay_rides_out_its_database_refusing_connections_quietly(
    api, tenant, system, settings, caplog
):
    import logging

    from prometheus_client import REGISTRY

    def outages() -> float:
        labels = {"service": "intake", "process": "relay"}
        return REGISTRY.get_sample_value("coaching_database_unavailable_total", labels) or 0

    from services.intake.models import Outbox

    def unpublished() -> int:
        with system.runtimes["intake"].session_factory() as session:
            return session.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.published_at.is_(None))
            )

    before = outages()
    api.refer_client(tenant["token"])  # an event waiting in the outbox
    relay = system.runtimes["intake"].relay()
    stop = threading.Event()
    thread = threading.Thread(target=relay.run_forever, args=(stop,), daemon=True)
    database_url = settings.database_url("intake")
    try:
        refuse_connections(database_url, refuse=True)
        with caplog.at_level(logging.WARNING, logger="shared.messaging.relay"):
            thread.start()
            time.sleep(3)
        assert thread.is_alive()
        refuse_connections(database_url, refuse=False)
        wait_for(lambda: unpublished() == 0, timeout=20, what="the waiting event published")
    finally:
        refuse_connections(database_url, refuse=False)
        stop.set()
        thread.join(timeout=10)
    assert outages() > before
    relay_records = [r for r in caplog.records if r.name == "shared.messaging.relay"]
    assert relay_records, "the outage is logged"
    # An outage is weather, not a bug: warnings without a traceback, a few, not one a tick.
    assert all(r.levelno == logging.WARNING and not r.exc_info for r in relay_records)
    assert len(relay_records) <= 6
