"""Transactional outbox: nothing published for a rolled-back change, nothing lost."""

from __future__ import annotations

import pytest
from kombu import Queue
from sqlalchemy import func, select

from shared.db import UnitOfWork
from shared.messaging.connection import broker_connection
from shared.messaging.topology import Topology


def _count(runtime, model) -> int:
    with runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_rolled_back_request_publishes_nothing(api, tenant, system, monkeypatch):
    from services.intake.models import Client, Outbox

    client = api.refer_client(tenant["token"])
    api.assess(tenant["token"], client["id"])
    system.settle()
    outbox_before = _count(system.runtimes["intake"], Outbox)

    def failing_commit(self):
        raise RuntimeError("database went away mid-request")

    monkeypatch.setattr(UnitOfWork, "commit", failing_commit)
    reply = api.onboard(tenant["token"], client["id"], tenant["staff_id"])
    monkeypatch.undo()

    assert reply.status == 500
    assert reply.content_type.startswith("application/problem+json")
    assert "database went away" not in str(reply.body)  # no internals leak
    assert _count(system.runtimes["intake"], Outbox) == outbox_before
    assert (
        api.call("intake", "GET", f"/v1/clients/{client['id']}", tenant["token"]).body["status"]
        == "assessed"
    )
    assert system.relay() == 0
    assert system.consume() == 0
    assert api.plans_of(tenant["token"], client["id"]) == []
    assert _count(system.runtimes["intake"], Client) == 1


def test_event_committed_while_relay_is_stopped_is_delivered_when_it_starts(
    api, tenant, system, smtp
):
    client = api.onboarded_client(tenant["token"], tenant["staff_id"])

    # Relay "stopped": consumers run, but nothing has left intake's outbox.
    assert system.consume() == 0
    assert api.plans_of(tenant["token"], client["id"]) == []

    assert system.relay() >= 2  # client.referred, client.onboarded
    system.settle()
    assert len(api.plans_of(tenant["token"], client["id"])) == 1
    assert len(smtp.messages) == 1


@pytest.mark.parametrize("batch_size", [1, 100])
def test_relay_publishes_rows_in_commit_order(api, tenant, system, settings, batch_size):
    from services.intake.models import Outbox

    topology = Topology(settings)
    with broker_connection(settings) as connection:
        probe = Queue("probe.referrals", exchange=topology.events, routing_key="client.referred")
        probe(connection.default_channel).declare()
        for _ in range(5):
            api.refer_client(tenant["token"])
        relay = system.relays["intake"]
        relay.batch_size = batch_size
        while relay.run_once():
            pass
        received = []
        while (message := probe(connection.default_channel).get(no_ack=True)) is not None:
            received.append(message.properties["message_id"])

    with system.runtimes["intake"].session_factory() as session:
        rows = session.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert all(row.published_at is not None for row in rows)
    referrals = [row for row in rows if row.routing_key == "client.referred"]
    assert received == [str(row.message_id) for row in referrals]


def test_unroutable_message_is_a_failure_not_a_success(system, settings):
    import uuid as uuid_mod

    from services.intake.models import Outbox

    topology = Topology(settings)
    runtime = system.runtimes["intake"]
    with runtime.session_factory() as session:
        for routing_key in ("nobody.listens.here", "plans.events"):
            session.add(
                Outbox(
                    message_id=uuid_mod.uuid4(),
                    exchange=topology.direct.name,
                    routing_key=routing_key,
                    body=b"{}",
                    headers={},
                )
            )
        session.commit()

    assert system.relays["intake"].run_once() == 1

    with runtime.session_factory() as session:
        lost, delivered = session.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert lost.published_at is None
    assert lost.publish_attempts == 1
    assert "unroutable" in lost.last_error
    assert lost.available_at > lost.created_at  # retried later, with backoff
    assert delivered.published_at is not None


def test_an_event_nobody_subscribes_to_yet_is_published_not_retried(system, settings):
    """``plan.created`` is in the catalogue with no consumer: the broker routes it to no
    queue, and that is no failure (it stays published for a future subscriber)."""
    import uuid as uuid_mod

    from services.plans.models import Outbox

    runtime = system.runtimes["plans"]
    with runtime.session_factory() as session:
        session.add(
            Outbox(
                message_id=uuid_mod.uuid4(),
                exchange=settings.exchange_name,
                routing_key="plan.created",
                body=b"{}",
                headers={},
            )
        )
        session.commit()

    assert system.relays["plans"].run_once() == 1

    with runtime.session_factory() as session:
        [row] = session.scalars(select(Outbox).where(Outbox.routing_key == "plan.created")).all()
    assert row.published_at is not None
    assert row.last_error is None
