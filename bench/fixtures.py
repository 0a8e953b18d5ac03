"""Event bodies the benchmarks publish and consume."""

from __future__ import annotations

import json
import uuid

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
        )
        bodies.append(json.dumps(envelope).encode())
    return bodies
