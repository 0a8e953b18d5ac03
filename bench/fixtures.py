"""Event bodies the benchmarks publish and consume."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from shared.events import new_envelope


def referred_bodies(n: int, tenant_id: uuid.UUID | None = None) -> list[bytes]:
    tenant_id = tenant_id or uuid.uuid4()
    return [
        json.dumps(
            new_envelope(
                "client.referred",
                tenant_id,
                {
                    "client_id": uuid.uuid4(),
                    "contact": {
                        "given_name": "Bench",
                        "email": f"c{i}@example.net",
                        "timezone": "UTC",
                        "consent": {"email": True, "sms": False},
                    },
                },
                producer="intake",
                occurred_at=datetime.now(UTC),
            )
        ).encode()
        for i in range(n)
    ]


def onboarded_bodies(n: int, tenant_id: uuid.UUID | None = None) -> list[bytes]:
    tenant_id = tenant_id or uuid.uuid4()
    bodies = []
    for i in range(n):
        envelope = new_envelope(
            "client.onboarded",
            tenant_id,
            {
                "client_id": uuid.uuid4(),
                "coach_id": uuid.uuid4(),
                "timezone": "UTC",
                "contact": {
                    "given_name": "Bench",
                    "email": f"c{i}@example.net",
                    "timezone": "UTC",
                    "consent": {"email": True, "sms": False},
                },
                "assessment": {
                    "version": 1,
                    "domain_ratings": {"housing": 5},
                    "aspirations": [
                        {"domain": "housing", "text": "Stable flat"},
                        {"domain": "work_study", "text": "Study"},
                    ],
                },
            },
            producer="intake",
            occurred_at=datetime.now(UTC),
        )
        bodies.append(json.dumps(envelope).encode())
    return bodies


def sent_bodies(n: int, tenant_id: uuid.UUID | None = None) -> list[bytes]:
    """``notification.sent``: one per nudge delivered, the most frequent event there is."""
    tenant_id = tenant_id or uuid.uuid4()
    return [
        json.dumps(
            new_envelope(
                "notification.sent",
                tenant_id,
                {
                    "nudge_id": uuid.uuid4(),
                    "client_id": uuid.uuid4(),
                    "kind": "step_reminder",
                    "channel": "email",
                    "reason": None,
                },
                producer="notifications",
                occurred_at=datetime.now(UTC),
            )
        ).encode()
        for _ in range(n)
    ]


def publish_events(settings, bodies: list[bytes], routing_key: str) -> None:
    """Put event bodies on the events exchange (declaring the topology first)."""
    from kombu import Producer

    from shared.messaging.connection import broker_connection
    from shared.messaging.topology import Topology

    topology = Topology(settings)
    with broker_connection(settings) as connection:
        topology.declare(connection)
        producer = Producer(connection.default_channel)
        for body in bodies:
            producer.publish(
                body,
                exchange=topology.events,
                routing_key=routing_key,
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
            )
