"""The one catalogue of event types: who produces each, who consumes it, its schemas.

The messaging topology binds each consumer's queue from this table, so adding a
consumer here is all it takes to route an event to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema

from shared.events import payloads


@dataclass(frozen=True)
class EventSpec:
    type: str
    producer: str
    consumers: tuple[str, ...]
    versions: dict[int, type[Schema]]

    @property
    def latest_version(self) -> int:
        return max(self.versions)


def _spec(type_: str, producer: str, consumers: tuple[str, ...], **versions) -> EventSpec:
    return EventSpec(
        type=type_,
        producer=producer,
        consumers=consumers,
        versions={int(k.lstrip("v")): v for k, v in versions.items()},
    )


CATALOGUE: dict[str, EventSpec] = {
    spec.type: spec
    for spec in (
        _spec("client.referred", "intake", ("notifications",), v1=payloads.ClientReferredV1),
        _spec(
            "client.onboarded",
            "intake",
            ("plans", "notifications"),
            v1=payloads.ClientOnboardedV1,
        ),
        _spec("plan.created", "plans", ("notifications",), v1=payloads.PlanCreatedV1),
        _spec("notification.sent", "notifications", ("plans",), v1=payloads.NotificationOutcomeV1),
        _spec(
            "notification.failed", "notifications", ("plans",), v1=payloads.NotificationOutcomeV1
        ),
    )
}


def routing_keys_for(service: str) -> list[str]:
    """The event types a service's queue is bound to."""
    return sorted(t for t, spec in CATALOGUE.items() if service in spec.consumers)


def consumers_of(event_type: str) -> tuple[str, ...]:
    spec = CATALOGUE.get(event_type)
    return spec.consumers if spec else ()
