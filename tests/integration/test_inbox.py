"""Idempotent consumers: a redelivered event changes nothing."""

from __future__ import annotations

from kombu import Producer
from sqlalchemy import select

from shared.messaging.connection import broker_connection
from shared.messaging.topology import Topology


def _onboarded_body(system) -> bytes:
    from services.intake.models import Outbox

    with system.runtimes["intake"].session_factory() as session:
        row = session.scalar(select(Outbox).where(Outbox.routing_key == "client.onboarded"))
    return row.body


def _publish_raw(settings, body: bytes, routing_key: str) -> None:
    with broker_connection(settings) as connection:
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
    assert len(api.nudges_of(tenant["token"], client["id"])) == 1


def test_duplicate_delivered_before_the_first_is_processed_is_still_applied_once(
    api, tenant, system, smtp, settings
):
    client = api.onboarded_client(tenant["token"], tenant["staff_id"])
    system.relay()
    _publish_raw(settings, _onboarded_body(system), "client.onboarded")  # duplicate in flight
    system.settle()
    assert len(api.plans_of(tenant["token"], client["id"])) == 1
    assert len(smtp.messages) == 1
