"""Idempotent consumers: a redelivered event changes nothing."""

from __future__ import annotations

import pytest
from kombu import Producer
from sqlalchemy import select

from shared.messaging.connection import broker_connection
from shared.messaging.topology import Topology
from tests.conftest import BACKEND


def _onboarded_body(system) -> bytes:
    from services.intake.models import Outbox

    with system.runtimes["intake"].session_factory() as session:
        row = session.scalar(select(Outbox).where(Outbox.routing_key == "client.onboarded"))
    return row.body


def _publish_raw(settings, body: bytes, routing_key: str) -> None:
    # Confirmed, so the message is in its queue before the test consumes.
    with broker_connection(settings, confirm_publish=True) as connection:
        topology = Topology(settings)
        Producer(connection.default_channel).publish(
            body,
            exchange=topology.events,
            routing_key=routing_key,
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
        )


def test_second_delivery_of_client_onboarded_drafts_no_second_plan_and_sends_no_second_welcome(
    api, tenant, system, smtp, settings
):
    client = api.onboarded_client(tenant["token"], tenant["staff_id"])
    system.settle()
    assert len(api.plans_of(tenant["token"], client["id"])) == 1
    assert len(smtp.messages) == 1

    body = _onboarded_body(system)
    _publish_raw(settings, body, "client.onboarded")
    _publish_raw(settings, body, "client.onboarded")
    assert system.consume() == 4  # both copies reached plans and notifications
    system.settle()

    assert len(api.plans_of(tenant["token"], client["id"])) == 1
    assert len(smtp.messages) == 1
    # One welcome, and one weekly digest waiting for Sunday.
    kinds = sorted(n["kind"] for n in api.nudges_of(tenant["token"], client["id"]))
    assert kinds == ["weekly_digest", "welcome"]


def test_duplicate_delivered_before_the_first_is_processed_is_still_applied_once(
    api, tenant, system, smtp, settings
):
    client = api.onboarded_client(tenant["token"], tenant["staff_id"])
    system.relay()
    _publish_raw(settings, _onboarded_body(system), "client.onboarded")  # duplicate in flight
    system.settle()
    assert len(api.plans_of(tenant["token"], client["id"])) == 1
    assert len(smtp.messages) == 1


def test_a_reassessment_in_the_same_batch_reaches_the_plan_drafted_just_before(system):
    """Batched handling writes plans at commit; a second onboarding of the same client in
    the same batch must still see the first one's plan."""
    import json
    import uuid

    from services.plans.models import RecoveryPlan
    from shared.messaging.inbox import Disposition
    from tests.integration.test_dead_letters import _onboarded_envelope

    tenant_id, client_id = str(uuid.uuid4()), str(uuid.uuid4())
    first = _onboarded_envelope(tenant_id, client_id=client_id)
    second = _onboarded_envelope(tenant_id, client_id=client_id)
    second["data"]["assessment"] = {"version": 2, "domain_ratings": {"housing": 8}}
    outcomes = system.processors["plans"].process_batch(
        [(json.dumps(first).encode(), {}), (json.dumps(second).encode(), {})]
    )
    assert outcomes == [Disposition.PROCESSED, Disposition.PROCESSED]
    with system.runtimes["plans"].session_factory() as session:
        plans = session.scalars(select(RecoveryPlan).order_by(RecoveryPlan.assessment_version))
        earlier, later = plans.all()
    assert earlier.latest_assessment_version == 2
    assert earlier.latest_ratings == {"housing": 8}
    assert later.baseline_ratings == {"housing": 8}


@pytest.mark.skipif(not BACKEND.startswith("rabbitmq"), reason="row locks need PostgreSQL")
def test_a_copy_handled_by_a_second_consumer_at_the_same_moment_waits_and_is_skipped(system):
    """Two consumers take copies of one event at once: the second one's inbox insert waits
    for the first transaction, and finding the event committed, applies nothing."""
    import threading
    import uuid

    from bench.fixtures import sent_bodies
    from services.plans.models import TimelineEntry
    from shared.events import parse_envelope
    from shared.messaging.inbox import Disposition

    runtime, processor = system.runtimes["plans"], system.processors["plans"]
    body = sent_bodies(1, tenant_id=uuid.uuid4())[0]
    envelope = parse_envelope(body)
    second: list[Disposition] = []
    with runtime.unit_of_work() as first:
        assert processor._record_in_inbox(first, [envelope]) == {envelope.id}
        racing = threading.Thread(target=lambda: second.append(processor.process(body, {})))
        racing.start()
        racing.join(1.0)
        assert racing.is_alive(), "the second copy must wait for the first transaction"
        runtime.handlers["notification.sent"](envelope, first)
        first.commit()
    racing.join(10)

    assert second == [Disposition.DUPLICATE]
    with runtime.session_factory() as session:
        entries = session.scalars(
            select(TimelineEntry).where(TimelineEntry.nudge_id == envelope.data.nudge_id)
        ).all()
    assert len(entries) == 1
